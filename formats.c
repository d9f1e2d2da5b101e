/* formats.c - what sr deid and sr generate write besides plain text and JSONL: i2b2
 * XML, BRAT standoff, and one file per letter under --out DIR. Both commands go through
 * these functions, so a letter reads the same in either command's output.
 * Included by ner.c after phi.c (the i2b2 tag of each PHI type), so that ner.c's
 * sr deid and mlm.c's sr generate both reach it.
 *
 *   inputs     folders expanded into their files; a record's name (its id or path)
 *   documents  the text the offsets refer to and its spans (SrDoc)
 *   i2b2       the i2b2 2014 de-identification layout, valid XML 1.0 for any text
 *   BRAT       .ann standoff beside NAME.txt, and the folder's annotation.conf
 *   --out DIR  one file per letter (two for BRAT), atomic, never over an input
 */
#include <dirent.h>   /* folders given as inputs */
#include <sys/file.h> /* flock: shards sharing one annotation.conf */

enum { FMT_TEXT, FMT_JSONL, FMT_I2B2, FMT_BRAT };

/* --format's value, or -1 for an unknown one. */
static int format_parse(const char *v) {
    static const char *names[] = {"text", "jsonl", "i2b2", "brat"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(v, names[k])) return k;
    return -1;
}

/* ---- inputs ---- */

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Expand directories into their regular files (sorted, hidden files skipped). */
static char **expand_inputs(char **items, int n, int *out_n) {
    char **out = NULL;
    int cap = 0, m = 0;
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (strcmp(items[i], "-") && stat(items[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(items[i]);
            if (!d) { out = grow(out, &cap, m + 1, sizeof *out); out[m++] = strdup(items[i]); continue; }
            int first = m;
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                size_t l = strlen(items[i]) + strlen(e->d_name) + 2;
                char *p = xmalloc(l);
                snprintf(p, l, "%s/%s", items[i], e->d_name);
                if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) { out = grow(out, &cap, m + 1, sizeof *out); out[m++] = p; }
                else free(p);
            }
            closedir(d);
            qsort(out + first, (size_t)(m - first), sizeof *out, name_cmp);
        } else {
            out = grow(out, &cap, m + 1, sizeof *out);
            out[m++] = strdup(items[i]);
        }
    }
    *out_n = m;
    return out;
}

/* What a reader calls a record: its "id" (a JSON string decoded, else the JSON as
 * given), the path of its file ("stdin"), else its index from 0 (--text). */
static void record_name(const SrInput *in, const SrRecord *rec, long index, char *out, size_t cap) {
    char *s = NULL, e[SR_ERR_LEN];
    size_t n;
    JsonCursor c = {rec->id_json, rec->id_json ? strlen(rec->id_json) : 0, 0};
    if (in->jsonl && rec->id_json && rec->id_json[0] == '"' && json_string(&c, &s, &n, e) == 0) snprintf(out, cap, "%s", s);
    else if (in->jsonl && rec->id_json) snprintf(out, cap, "%s", rec->id_json);
    else if (!in->texts && in->name) snprintf(out, cap, "%s", strcmp(in->name, "-") ? in->name : "stdin");
    else snprintf(out, cap, "%ld", index);
    free(s);
}

/* A file name for a letter: the input's base name without extension, or its id, kept
 * to [A-Za-z0-9._-] (never starting with '.'); "letter-N" when nothing is left. */
static void letter_name(const SrInput *in, const SrRecord *rec, long index, char *out, size_t cap) {
    char tmp[256];
    const char *src = tmp;
    record_name(in, rec, index, tmp, sizeof tmp);
    if (!in->jsonl && !in->texts && in->name && strcmp(in->name, "-")) {
        const char *b = strrchr(tmp, '/');
        if (b) memmove(tmp, b + 1, strlen(b + 1) + 1);
        char *dot = strrchr(tmp, '.');
        if (dot && dot != tmp) *dot = 0;
    } else if (!(in->jsonl && rec->id_json)) src = "";
    size_t n = 0;
    for (const char *p = src; *p && n + 1 < cap; p++)
        if (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') out[n++] = *p;
    out[n] = 0;
    if (n == 0 || out[0] == '.') snprintf(out, cap, "letter-%ld", index);
}

/* ---- documents ---- */

/* One annotated document as i2b2 and BRAT see it: the text the offsets refer to, and
 * its spans, whose code-point offsets are read (not their byte offsets: sr deid writes
 * the '*'-masked text, whose bytes differ from the original's where a starred
 * character took more than one byte). */
typedef struct {
    const char *text; /* UTF-8 */
    size_t len;
    const SrSpans *phi, *entities; /* either may be NULL */
} SrDoc;

/* at[k]: the byte offset of code point k of the text, at[n] = len (*n_cp = n). */
static size_t *doc_cp_bytes(const SrDoc *d, int *n_cp) {
    size_t *at = xmalloc((d->len + 1) * sizeof *at);
    int n = 0;
    for (size_t i = 0; i < d->len;) {
        at[n++] = i;
        if (utf8_decode((const unsigned char *)d->text, d->len, &i) < 0) i++;
    }
    at[n] = d->len;
    *n_cp = n;
    return at;
}

/* A span's code points, clamped to the text (a span never lies outside it; the clamp
 * keeps a bad one from reading past the end). */
static void doc_span_range(const SrSpan *s, int n_cp, int *a, int *b) {
    *a = s->cp_start < 0 ? 0 : s->cp_start > n_cp ? n_cp : s->cp_start;
    *b = s->cp_end < *a ? *a : s->cp_end > n_cp ? n_cp : s->cp_end;
}

/* The code point at text[*i], advancing *i; an invalid byte (sr's texts are checked
 * UTF-8: never) is one code point, -1, which XML writes as U+FFFD. */
static int doc_next_cp(const char *s, size_t n, size_t *i) {
    int cp = utf8_decode((const unsigned char *)s, n, i);
    if (cp < 0) (*i)++;
    return cp;
}

/* ---- i2b2 XML ----
 * The i2b2 2014 de-identification layout:
 *   <deIdi2b2><TEXT><![CDATA[...]]></TEXT><TAGS>
 *   <NAME id="P0" start="4" end="16" text="..." TYPE="DOCTOR" comment="rule:..." />
 *   <ENTITY id="E0" ... TYPE="PROBLEM" comment="..." /></TAGS></deIdi2b2>
 * PHI tags are i2b2's (NAME, DATE, AGE, CONTACT, ID, LOCATION, PROFESSION, OTHER, with
 * i2b2's TYPE), medical entities and structure are ENTITY with sr's TYPE; offsets are
 * code points of TEXT, end exclusive. It is XML 1.0 for any text:
 *   - XML 1.0 has no way to write U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE
 *     and U+FFFF (not even as &#N;): each becomes one code point it can hold, so every
 *     offset still fits: VT and FF (white space; a form feed is a page break) a space,
 *     which keeps the two words it parts apart, the others U+FFFD;
 *   - CR is written as &#13; between CDATA sections: a parser turns a literal CR (and
 *     CRLF) into LF, which would shift every later offset;
 *   - "]]>" in the text is split over two CDATA sections ("]]" and ">");
 *   - attribute values escape & < > " and write TAB, LF, CR as &#9; &#10; &#13; (a
 *     parser would read them as spaces).
 * Several documents on stdout go inside one <deIdi2b2Set>, each <deIdi2b2 id="...">. */

static int xml_forbidden(int cp) { return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF; }

/* A character XML cannot hold, written as the one that stands for it. */
static void xml_put_replacement(FILE *f, int cp) { fputs(cp == 0x0B || cp == 0x0C ? " " : "\xEF\xBF\xBD", f); }

static void xml_put_attr(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t at = i;
        int cp = doc_next_cp(s, n, &i);
        if (xml_forbidden(cp)) xml_put_replacement(f, cp);
        else if (cp == '&') fputs("&amp;", f);
        else if (cp == '<') fputs("&lt;", f);
        else if (cp == '>') fputs("&gt;", f);
        else if (cp == '"') fputs("&quot;", f);
        else if (cp == '\t' || cp == '\n' || cp == '\r') fprintf(f, "&#%d;", cp);
        else fwrite(s + at, 1, i - at, f);
    }
}

static void xml_put_cdata(FILE *f, const char *s, size_t n) {
    int open = 0; /* inside a CDATA section */
    for (size_t i = 0; i < n;) {
        size_t at = i;
        int cp = doc_next_cp(s, n, &i);
        if (cp == '\r') {
            if (open) fputs("]]>", f);
            open = 0;
            fputs("&#13;", f);
            continue;
        }
        if (!open) fputs("<![CDATA[", f);
        open = 1;
        if (cp == ']' && n - at >= 3 && !memcmp(s + at, "]]>", 3)) { fputs("]]]]><![CDATA[>", f); i = at + 3; }
        else if (xml_forbidden(cp)) xml_put_replacement(f, cp);
        else fwrite(s + at, 1, i - at, f);
    }
    if (open) fputs("]]>", f);
}

/* i2b2 2014 tag and TYPE for our PHI types */
static void i2b2_phi_tag(const char *cat, const char **tag, const char **type) {
    static const struct { const char *cat, *tag, *type; } map[] = {
        {"DOCTOR", "NAME", "DOCTOR"}, {"PATIENT", "NAME", "PATIENT"}, {"RELATIVE", "NAME", "PATIENT"},
        {"NAME", "NAME", "PATIENT"}, {"DATE", "DATE", "DATE"}, {"YEAR", "DATE", "DATE"}, {"AGE", "AGE", "AGE"},
        {"PHONE", "CONTACT", "PHONE"}, {"FAX", "CONTACT", "FAX"}, {"EMAIL", "CONTACT", "EMAIL"},
        {"URL", "CONTACT", "URL"}, {"IP", "CONTACT", "IPADDR"}, {"SSN", "ID", "IDNUM"},
        {"MRN", "ID", "MEDICALRECORD"}, {"NHS", "ID", "IDNUM"}, {"HEALTHPLAN", "ID", "HEALTHPLAN"},
        {"ACCOUNT", "ID", "IDNUM"}, {"LICENSE", "ID", "LICENSE"}, {"DEVICE", "ID", "DEVICE"},
        {"VEHICLE", "ID", "IDNUM"}, {"ID", "ID", "IDNUM"}, {"STREET", "LOCATION", "STREET"},
        {"CITY", "LOCATION", "CITY"}, {"COUNTY", "LOCATION", "LOCATION-OTHER"}, {"ZIP", "LOCATION", "ZIP"},
        {"LOCATION", "LOCATION", "LOCATION-OTHER"}, {"HOSPITAL", "LOCATION", "HOSPITAL"},
        {"WARD", "LOCATION", "LOCATION-OTHER"}, {"PROFESSION", "PROFESSION", "PROFESSION"},
    };
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if (!strcmp(map[k].cat, cat)) { *tag = map[k].tag; *type = map[k].type; return; }
    *tag = "OTHER"; *type = cat;
}

static void i2b2_put_tag(FILE *f, const SrDoc *d, const size_t *at, int n_cp, const SrSpan *s, const char *tag, char id, int k,
                         const char *type) {
    int a, b;
    doc_span_range(s, n_cp, &a, &b);
    fprintf(f, "<%s id=\"%c%d\" start=\"%d\" end=\"%d\" text=\"", tag, id, k, a, b);
    xml_put_attr(f, d->text + at[a], at[b] - at[a]);
    fputs("\" TYPE=\"", f);
    xml_put_attr(f, type, strlen(type));
    fputs("\" comment=\"", f);
    xml_put_attr(f, s->source, strlen(s->source));
    fputs("\" />\n", f);
}

/* One document. set_id NULL: a file of its own, with the XML declaration; else one
 * document of a <deIdi2b2Set> (i2b2_put_set_begin/end), named set_id. */
static void i2b2_put_doc(FILE *f, const SrDoc *d, const char *set_id) {
    if (set_id) {
        fputs("<deIdi2b2 id=\"", f);
        xml_put_attr(f, set_id, strlen(set_id));
        fputs("\">\n<TEXT>", f);
    } else fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2>\n<TEXT>", f);
    xml_put_cdata(f, d->text, d->len);
    fputs("</TEXT>\n<TAGS>\n", f);
    int n_cp;
    size_t *at = doc_cp_bytes(d, &n_cp);
    for (int k = 0; d->phi && k < d->phi->n; k++) {
        const char *tag, *type;
        i2b2_phi_tag(d->phi->span[k].category, &tag, &type);
        i2b2_put_tag(f, d, at, n_cp, &d->phi->span[k], tag, 'P', k, type);
    }
    for (int k = 0; d->entities && k < d->entities->n; k++)
        i2b2_put_tag(f, d, at, n_cp, &d->entities->span[k], "ENTITY", 'E', k, d->entities->span[k].category);
    free(at);
    fputs("</TAGS>\n</deIdi2b2>\n", f);
}
static void i2b2_put_set_begin(FILE *f) { fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<deIdi2b2Set>\n", f); }
static void i2b2_put_set_end(FILE *f) { fputs("</deIdi2b2Set>\n", f); }

/* ---- BRAT standoff ----
 * NAME.ann beside NAME.txt (the exact text the offsets count, in code points, as BRAT
 * counts characters): "T1<TAB>TYPE a b[;c d...]<TAB>text" and "#1<TAB>AnnotatorNotes
 * T1<TAB>source". A span over a line break is split into fragments at every character
 * a reader of the .ann would take for the end of a line (BRAT forbids fragments over
 * them); the text field is the fragments joined by one space, with TAB written as a
 * space (the .ann is TAB-separated). A span of line breaks alone is left out. */

static int brat_line_break(int cp) {
    return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) || cp == 0x85 || cp == 0x2028 ||
           cp == 0x2029;
}

/* A BRAT type: letters, digits, '-' and '_' (any other byte becomes '_'); "PHI" if empty. */
static void brat_type(const char *cat, char *out, size_t cap) {
    size_t n = 0;
    for (const char *c = cat; *c && n + 1 < cap; c++) out[n++] = isalnum((unsigned char)*c) || *c == '-' ? *c : '_';
    out[n] = 0;
    if (!n) snprintf(out, cap, "PHI");
}

/* Text for a field of the .ann: TAB and line breaks as spaces. */
static void brat_put_field(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t at = i;
        int cp = doc_next_cp(s, n, &i);
        if (cp == '\t' || brat_line_break(cp)) fputc(' ', f);
        else fwrite(s + at, 1, i - at, f);
    }
}

/* The fragments of code points [a, b): each maximal run without a line break. With
 * offsets set, writes " a b;c d" (BRAT's offsets), else the fragments' text joined by
 * one space (f NULL: writes nothing); returns how many. */
static int brat_fragments(FILE *f, const SrDoc *d, const size_t *at, int a, int b, int offsets) {
    int n = 0, start = -1;
    for (int k = a; k <= b; k++) {
        size_t i = at[k];
        int brk = k == b || brat_line_break(doc_next_cp(d->text, d->len, &i));
        if (!brk && start < 0) start = k;
        if (!brk || start < 0) continue;
        if (f && offsets) fprintf(f, "%s%d %d", n ? ";" : " ", start, k);
        else if (f) {
            if (n) fputc(' ', f);
            brat_put_field(f, d->text + at[start], at[k] - at[start]);
        }
        n++;
        start = -1;
    }
    return n;
}

/* One span as a T line (and its note); returns 0 when it has no fragment. */
static int brat_put_span(FILE *f, const SrDoc *d, const size_t *at, int n_cp, const SrSpan *s, int t, SrStrSet *types) {
    int a, b;
    doc_span_range(s, n_cp, &a, &b);
    if (!brat_fragments(NULL, d, at, a, b, 0)) return 0;
    char type[32];
    brat_type(s->category, type, sizeof type);
    if (types) strset_add(types, type);
    fprintf(f, "T%d\t%s", t, type);
    brat_fragments(f, d, at, a, b, 1);
    fputc('\t', f);
    brat_fragments(f, d, at, a, b, 0);
    fputc('\n', f);
    if (s->source[0]) {
        fprintf(f, "#%d\tAnnotatorNotes T%d\t", t, t);
        brat_put_field(f, s->source, strlen(s->source));
        fputc('\n', f);
    }
    return 1;
}

/* The .ann of one document; the types it uses are added to types (when not NULL). */
static void brat_put_ann(FILE *f, const SrDoc *d, SrStrSet *types) {
    int n_cp, t = 1;
    size_t *at = doc_cp_bytes(d, &n_cp);
    const SrSpans *lists[2] = {d->phi, d->entities};
    for (int l = 0; l < 2; l++)
        for (int k = 0; lists[l] && k < lists[l]->n; k++) t += brat_put_span(f, d, at, n_cp, &lists[l]->span[k], t, types);
    free(at);
}

/* DIR/annotation.conf, which BRAT needs to show the folder: every entity type this run
 * used, united with those the file already lists (reruns, and the shards of one corpus
 * written to one folder, each add theirs). The folder is locked while the file is read
 * and replaced, so shards that finish together do not drop each other's types. */
static int brat_write_conf(const char *dir, SrStrSet *types, char *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/annotation.conf", dir);
    int lock = open(dir, O_RDONLY);
    if (lock >= 0) flock(lock, LOCK_EX);
    size_t len;
    char e[SR_ERR_LEN];
    char *old = access(path, F_OK) == 0 ? read_file(path, &len, e) : NULL;
    int in_entities = 0;
    for (char *p = old, *nl; p && *p; p = nl ? nl + 1 : p + strlen(p)) {
        nl = strchr(p, '\n');
        if (nl) *nl = 0;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strlen(p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = 0;
        if (p[0] == '[') in_entities = !strcmp(p, "[entities]");
        else if (in_entities && n && p[0] != '#') strset_add(types, p);
        if (!nl) break;
    }
    free(old);
    char **names = xmalloc((size_t)(types->n + 1) * sizeof *names);
    int n = 0;
    for (int k = 0; k < types->cap; k++)
        if (types->slot[k]) names[n++] = types->slot[k];
    qsort(names, (size_t)n, sizeof *names, name_cmp);
    SrOutFile of;
    int rc = outfile_open(&of, path, err);
    if (rc == 0) {
        fputs("# written by sr: the entity types of the .ann files in this folder\n[entities]\n", of.f);
        for (int k = 0; k < n; k++) fprintf(of.f, "%s\n", names[k]);
        fputs("[relations]\n[events]\n[attributes]\n", of.f);
        rc = outfile_commit(&of, err);
    }
    free(names);
    if (lock >= 0) close(lock); /* releases the lock */
    return rc;
}

/* ---- --out DIR ----
 * One file per letter (two for BRAT), each written atomically (SrOutFile), under a name
 * no other letter of this run has ("note-2" when two inputs are both note.txt, said on
 * stderr), and never over one of the run's input files: NAME.txt (text), NAME.xml
 * (i2b2), NAME.txt + NAME.ann (BRAT), NAME.json (JSONL). */
typedef struct {
    const char *dir;
    SrStrSet used;  /* stems given out so far */
    SrStrSet types; /* BRAT types written, for annotation.conf */
    int n_ann;      /* .ann files written */
    dev_t *dev;     /* the input files, by device and inode */
    ino_t *ino;
    int n_inputs;
} SrOutDir;

/* DIR made when absent; -1 when it cannot be, or is not a folder (a usage error). */
static int outdir_open(SrOutDir *o, const char *dir, char **files, int n_files, char *err) {
    memset(o, 0, sizeof *o);
    struct stat sb;
    if (stat(dir, &sb) != 0 && mkdir(dir, 0777) != 0) return sr_fail(err, "--out %s: %s", dir, strerror(errno));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return sr_fail(err, "--out %s is not a folder", dir);
    o->dir = dir;
    o->dev = xmalloc((size_t)(n_files + 1) * sizeof *o->dev);
    o->ino = xmalloc((size_t)(n_files + 1) * sizeof *o->ino);
    for (int k = 0; k < n_files; k++)
        if (stat(files[k], &sb) == 0) { o->dev[o->n_inputs] = sb.st_dev; o->ino[o->n_inputs++] = sb.st_ino; }
    return 0;
}

static void outdir_free(SrOutDir *o) {
    strset_free(&o->used);
    strset_free(&o->types);
    free(o->dev);
    free(o->ino);
    memset(o, 0, sizeof *o);
}

static int outdir_is_input(const SrOutDir *o, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    for (int k = 0; k < o->n_inputs; k++)
        if (sb.st_dev == o->dev[k] && sb.st_ino == o->ino[k]) return 1;
    return 0;
}

/* The letter's stem in DIR: name, else name-2, name-3, ... (the first not given out). */
static void outdir_stem(SrOutDir *o, const char *name, char *stem, size_t cap) {
    char base[208];
    snprintf(base, sizeof base, "%.200s", name); /* with -N and .json, within a file name's 255 bytes */
    snprintf(stem, cap, "%s", base);
    for (int k = 2; !strset_add(&o->used, stem); k++) snprintf(stem, cap, "%s-%d", base, k);
    if (strcmp(stem, base))
        fprintf(stderr, "%s: another letter of this run is named %s: this one is written as %s/%s\n", sr_cmd, base, o->dir, stem);
}

/* Opens the letter's files (of[0]: its text, XML or JSON; of[1]: BRAT's .ann); returns
 * how many, or -1 with nothing left open. */
static int outdir_letter_open(SrOutDir *o, const char *name, int format, SrOutFile of[2], char *err) {
    const char *ext[2] = {format == FMT_I2B2 ? "xml" : format == FMT_JSONL ? "json" : "txt", format == FMT_BRAT ? "ann" : NULL};
    char stem[300], path[4096];
    outdir_stem(o, name, stem, sizeof stem);
    int n = 0;
    for (int k = 0; k < 2 && ext[k]; k++) {
        snprintf(path, sizeof path, "%s/%s.%s", o->dir, stem, ext[k]);
        int bad = outdir_is_input(o, path) ? sr_fail(err, "%s is one of the input files: not overwritten (choose another --out)", path)
                                           : outfile_open(&of[n], path, err);
        if (bad < 0) {
            while (n > 0) outfile_abort(&of[--n]);
            return -1;
        }
        n++;
    }
    return n;
}

/* Commits the letter's files: all of them, or none (one already renamed is removed when
 * a later one fails, so a .txt never stands without its .ann). */
static int outdir_letter_commit(SrOutDir *o, SrOutFile of[2], int n, char *err) {
    for (int k = 0; k < n; k++) {
        if (outfile_commit(&of[k], err) == 0) continue;
        for (int j = 0; j < k; j++) unlink(of[j].path);
        for (int j = k + 1; j < n; j++) outfile_abort(&of[j]);
        return -1;
    }
    o->n_ann += n > 1;
    return 0;
}

/* A document's files in an i2b2 or BRAT --out: NAME.xml, or NAME.txt + NAME.ann. */
static void outdir_put_doc(SrOutDir *o, SrOutFile of[2], int format, const SrDoc *d) {
    if (format == FMT_I2B2) i2b2_put_doc(of[0].f, d, NULL);
    if (format != FMT_BRAT) return;
    fwrite(d->text, 1, d->len, of[0].f);
    brat_put_ann(of[1].f, d, &o->types);
}

/* At the end of a run: annotation.conf when a .ann was written. */
static int outdir_close(SrOutDir *o, char *err) {
    int rc = o->dir && o->n_ann ? brat_write_conf(o->dir, &o->types, err) : 0;
    outdir_free(o);
    return rc;
}
