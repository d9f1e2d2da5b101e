# sr - build in the llama2.c spirit: one compilation unit, no dependencies but libm.
#   make          portable build (no -march): every kernel set of the architecture
#                 (x86-64: AVX-512+VNNI, AVX2+FMA, plain C), picked at run time from
#                 the CPU; OpenMP threads when the compiler has them
#   make native   this CPU's vector instructions everywhere + OpenMP threads
#   make debug    AddressSanitizer + UBSan, for hunting bugs
#   make test     the whole test suite (see test/run_tests.sh); make test STAGE=40
#                 runs the stages named test/stages/stage_40*
#   make check    the fast tier (< 1 minute; only a C compiler and python3)
CC ?= cc
SRCS = sr.c sr.h tokenizer.c ner.c phi.c mlm.c
# -fopenmp if this compiler can build and link it (results do not depend on threads)
OPENMP := $(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo -fopenmp)

# gcc: -O1 with the numeric core at -O3 (SR_O3_CORE, see sr.c section 3): half the
# build time, the same speed and output; other compilers: -O3 throughout
OPT := $(shell $(CC) --version 2>/dev/null | grep -qi clang && echo -O3 || echo -O1 -DSR_O3_CORE)

sr: $(SRCS)
	$(CC) $(OPT) $(OPENMP) -Wall -o sr sr.c -lm

native: $(SRCS)
	$(CC) -O3 -march=native -fopenmp -Wall -o sr sr.c -lm

debug: $(SRCS)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -Wall -o sr sr.c -lm

test:
	STAGE="$(STAGE)" bash test/run_tests.sh

check:
	FAST=1 STAGE="$(STAGE)" bash test/run_tests.sh

clean:
	rm -rf sr test/out

.PHONY: native debug test check clean
