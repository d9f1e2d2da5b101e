# sr - build in the llama2.c spirit: one compilation unit, no dependencies but libm.
#   make          portable build (no -march): every kernel set of the architecture
#                 (x86-64: AVX-512+VNNI, AVX2+FMA, plain C), picked at run time from
#                 the CPU; OpenMP threads when the compiler has them
#   make native   this CPU's vector instructions everywhere + OpenMP threads
#   make debug    AddressSanitizer + UBSan, for hunting bugs
#   make test     the whole test suite (see test/run_tests.sh)
CC ?= cc
SRCS = sr.c sr.h tokenizer.c ner.c phi.c formats.c mlm.c
# -fopenmp if this compiler can build and link it (results do not depend on threads)
OPENMP := $(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo -fopenmp)

sr: $(SRCS)
	$(CC) -O3 $(OPENMP) -Wall -o sr sr.c -lm

native: $(SRCS)
	$(CC) -O3 -march=native -fopenmp -Wall -o sr sr.c -lm

debug: $(SRCS)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -Wall -o sr sr.c -lm

test:
	bash test/run_tests.sh

clean:
	rm -rf sr test/out

.PHONY: native debug test clean
