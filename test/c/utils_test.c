/* Harness for sr.c section 1: reads JSONL records with SrInput and prints, per record,
 *   OK <id json or -> <text as hex>      or      ERR <message>
 * test/checks/utils_check.py compares this with Python's own json module. */
#define SR_NO_MAIN
#include "../../sr.c"

int main(int argc, char **argv) {
    SrInput in = {0};
    in.jsonl = 1;
    in.items = argv + 1;
    in.n_items = argc - 1;
    SrRecord rec;
    char err[SR_ERR_LEN];
    int rc;
    while ((rc = input_next(&in, &rec, err)) != 0) {
        if (rc < 0) {
            printf("ERR %s\n", err);
        } else {
            printf("OK %s ", rec.id_json ? rec.id_json : "-");
            for (size_t i = 0; i < rec.len; i++) printf("%02x", (unsigned char)rec.text[i]);
            printf("\n");
        }
        record_free(&rec);
    }
    input_close(&in);
    return 0;
}
