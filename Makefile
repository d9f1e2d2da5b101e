# sr - build in the llama2.c spirit: one compilation unit, no dependencies but libm.
#   make          portable build (no -march), what any C99 compiler can do
#   make native   this CPU's vector instructions + OpenMP threads
#   make debug    AddressSanitizer + UBSan, for hunting bugs
#   make test     the whole test suite (see test/run_tests.sh)
CC ?= cc
SRCS = sr.c sr.h tokenizer.c ner.c phi.c mlm.c

sr: $(SRCS)
	$(CC) -O3 -Wall -o sr sr.c -lm

native: $(SRCS)
	$(CC) -O3 -march=native -fopenmp -Wall -o sr sr.c -lm

debug: $(SRCS)
	$(CC) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -Wall -o sr sr.c -lm

test:
	bash test/run_tests.sh

clean:
	rm -rf sr test/out

.PHONY: native debug test clean
