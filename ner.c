/* ner.c - token classification decoding (Hugging Face pipeline semantics), the PHI
 * rules, medical-entity protection, mask eligibility: the Masker. Included by sr.c. */

void sr_spans_free(SrSpans *s) { free(s->span); memset(s, 0, sizeof *s); }

/* ================================================================================
 * PHI rules
 * ================================================================================ */

/* The rule-based PHI detector. Plain C, no regex library: one pass cuts the text into
 * tokens (words, numbers, alphanumerics, punctuation) with their shape, byte and code
 * point offsets and lexicon flags (one hash lookup per word); then rules walk the token
 * array and mark tokens with a PHI type; marked neighbours become spans.
 *
 * PHI types (SrSpan.category), HIPAA Safe Harbor identifiers first:
 *   names       DOCTOR (title Dr, credential RN/MD..., clinician role), RELATIVE
 *               (wife, son, proxy...), PATIENT (the "Name:" / "Patient:" header),
 *               NAME (role unknown: Mr/Mrs/Ms, lexicon, same word elsewhere)
 *   dates       DATE (numeric, written, weekdays, holidays; the year too when it is part
 *               of a date or tied to birth)
 *   AGE         ages over 89
 *   contact     PHONE, FAX, EMAIL, URL, IP
 *   numbers     SSN, MRN, NHS, HEALTHPLAN, ACCOUNT, LICENSE, DEVICE, VEHICLE, ID
 *   geography   STREET, CITY, ZIP (US ZIP and UK postcode), LOCATION (a place named
 *               after "transferred to/from", "lives in", "Address:")
 * Configurable extras (on by default; off with --no-extras / sr_phi_set_extras):
 *   HOSPITAL, WARD, PROFESSION, YEAR (a year alone: not a HIPAA identifier, but
 *   "MI in '92" dates the patient's history, so by default it is masked too)
 *
 * Capitalisation is a name signal only when the document is mixed case (decided per
 * document from the share of capital letters); ALL CAPS and all-lower notes rely on
 * context and lexicons. Lexicons: first names, surnames and a safe list of common and
 * medical words (Philter, BSD-3, data/), plus small built-in word classes below. */

/* ---- lexicon flags: one hash entry per lower-cased word (64 bits) ---- */
#define LX_FIRST       (1ull << 0) /* first-name list */
#define LX_LAST        (1ull << 1) /* surname list */
#define LX_COMMON      (1ull << 2) /* safe list: English and medical words, not names */
#define LX_SITE        (1ull << 3) /* --lexicon: a site's own names and places */
#define LX_TITLE       (1ull << 4) /* Dr, Mrs, Prof: a name follows (aux: strength, role) */
#define LX_RELATION    (1ull << 5) /* wife, son, proxy: a relative's name may follow */
#define LX_MONTH       (1ull << 6) /* month name (aux: number; 100+ = needs a number beside it) */
#define LX_WEEKDAY     (1ull << 7) /* weekday (aux 1 = abbreviation: needs a date beside it) */
#define LX_HOLIDAY     (1ull << 8) /* Christmas, Thanksgiving... */
#define LX_CRED        (1ull << 9) /* RN, RRT, MD: a signature's name precedes (aux 1 = weak) */
#define LX_HOSPWORD    (1ull << 10) /* hospital, clinic, infirmary: a hospital's name precedes */
#define LX_STREET      (1ull << 11) /* street, road, avenue: an address ends */
#define LX_STATE       (1ull << 12) /* US state name */
#define LX_STOP        (1ull << 13) /* function words and verbs: never a name */
#define LX_PHONECTX    (1ull << 14) /* phone, pager, fax: a number follows (aux 1 = fax) */
#define LX_IDCTX       (1ull << 15) /* MRN, account, licence: an identifier follows (aux: type) */
#define LX_ROLE        (1ull << 16) /* attending, resident, NP: a clinician's name may follow */
#define LX_MOVE        (1ull << 17) /* transferred, admitted, lives: a place may follow */
#define LX_PLACESTOP   (1ull << 18) /* ICU, floor, home, cath lab: clinical places, not PHI */
#define LX_PROFESSION  (1ull << 19) 
#define LX_AGEUNIT     (1ull << 20) /* yo, years, yr: an age precedes */
#define LX_UNIT        (1ull << 21) /* tab, mg, murmur, strength: the number before is clinical */
#define LX_NUMCTX      (1ull << 22) /* BP, PEEP, PS, grade: the numbers after are clinical */
#define LX_EPONYM      (1ull << 23) /* disease, syndrome, sign: the name before is an eponym */
#define LX_GENERIC     (1ull << 24) /* outside, local, prior: not part of a hospital's name */
#define LX_NAMEPART    (1ull << 25) /* van, de, la, mc, st: inside a name */
#define LX_DATECTX     (1ull << 26) /* on, since, dated, DOB: a short date may follow */
#define LX_HEADER      (1ull << 27) /* Name:, Patient:, Address: field labels (aux: what) */
#define LX_TIMECTX     (1ull << 28) /* at, @, until: the 4-digit number after is a time */
#define LX_WARDWORD    (1ull << 29) /* room, bed, ward, bay: a number or name follows */
#define LX_ROLEWEAK    (1ull << 30) /* per, by, paged: a name follows only if the lists say so */
#define LX_VENT        (1ull << 31) /* PEEP, PS, CPAP, settings: the a/b after is a vent setting */
#define LX_CITY        (1ull << 32) /* a US city (ZIP database) */
#define LX_ENGLISH     (1ull << 33) /* a listed name that is also an ordinary English word (amber, noble) */

/* PHI type ids (index into phi_type_name) */
enum {
    PT_NONE, PT_DOCTOR, PT_PATIENT, PT_RELATIVE, PT_NAME, PT_DATE, PT_AGE, PT_PHONE,
    PT_FAX, PT_EMAIL, PT_URL, PT_IP, PT_SSN, PT_MRN, PT_NHS, PT_HEALTHPLAN, PT_ACCOUNT,
    PT_LICENSE, PT_DEVICE, PT_VEHICLE, PT_ID, PT_STREET, PT_CITY, PT_COUNTY, PT_ZIP,
    PT_LOCATION, PT_HOSPITAL, PT_WARD, PT_PROFESSION, PT_YEAR, PT_COUNT
};
static const char *const phi_type_name[PT_COUNT] = {
    "", "DOCTOR", "PATIENT", "RELATIVE", "NAME", "DATE", "AGE", "PHONE",
    "FAX", "EMAIL", "URL", "IP", "SSN", "MRN", "NHS", "HEALTHPLAN", "ACCOUNT",
    "LICENSE", "DEVICE", "VEHICLE", "ID", "STREET", "CITY", "COUNTY", "ZIP",
    "LOCATION", "HOSPITAL", "WARD", "PROFESSION", "YEAR"};
static int phi_type_is_extra(int t) { return t == PT_HOSPITAL || t == PT_WARD || t == PT_PROFESSION || t == PT_YEAR; }

/* Built-in word classes: "flag aux word word ..." (one class a line). Lower case. */
typedef struct { uint64_t flag; int aux; const char *words; } PhiWordClass;
static const PhiWordClass phi_builtin[] = {
    /* titles: aux 0 strong (dr, prof: a name follows), 1 weak (mr/ms also mean mitral
     * regurgitation, multiple sclerosis: the next word must look like a name) */
    {LX_TITLE, 0, "dr drs doctor prof professor mrs mister mme mlle sir dame rev reverend"},
    {LX_TITLE, 1, "mr ms miss mx madam"},
    {LX_RELATION, 0, "wife husband son sons daughter daughters dtr dau sister sisters brother "
                     "brothers bro sis niece nephew mother mom mum mommy father dad daddy aunt "
                     "auntie uncle grandson granddaughter grandaughter grandchild grandchildren "
                     "grandmother grandfather grandma grandpa cousin friend friends partner "
                     "boyfriend girlfriend fiance fiancee spouse proxy hcp guardian sibling "
                     "siblings stepdaughter stepson stepmother stepfather in-law inlaw "
                     "neighbor neighbour caregiver carer widow widower relative relatives "
                     "nok children kids"},
    {LX_MONTH, 1, "january"}, {LX_MONTH, 2, "february"}, {LX_MONTH, 3, "march"},
    {LX_MONTH, 4, "april"}, {LX_MONTH, 5, "may"}, {LX_MONTH, 6, "june"},
    {LX_MONTH, 7, "july"}, {LX_MONTH, 8, "august"}, {LX_MONTH, 9, "september"},
    {LX_MONTH, 10, "october"}, {LX_MONTH, 11, "november"}, {LX_MONTH, 12, "december"},
    {LX_MONTH, 101, "jan"}, {LX_MONTH, 102, "feb"}, {LX_MONTH, 103, "mar"},
    {LX_MONTH, 104, "apr"}, {LX_MONTH, 106, "jun"}, {LX_MONTH, 107, "jul"},
    {LX_MONTH, 108, "aug"}, {LX_MONTH, 109, "sep sept"}, {LX_MONTH, 110, "oct"},
    {LX_MONTH, 111, "nov"}, {LX_MONTH, 112, "dec"},
    {LX_WEEKDAY, 0, "monday tuesday wednesday thursday friday saturday sunday"},
    {LX_WEEKDAY, 1, "mon tue tues wed thu thur thurs fri sat sun"},
    {LX_HOLIDAY, 0, "christmas xmas thanksgiving easter halloween hanukkah chanukah "
                    "passover ramadan eid diwali kwanzaa"},
    /* credentials after a signature's name: aux 1 = also a common abbreviation (PA
     * pulmonary artery, PT patient, DO ditto, OT, SW), so only at the end of a line */
    {LX_CRED, 0, "rn rrt np lpn lvn cna msw licsw lcsw crna bsn msn aprn fnp dnp phd "
                 "pharmd rph mbbs mbchb frcp mrcp frcs frcpc facc facs facp rd ccrn "
                 "cnm cns slp ccc-slp dpt otr mpt rt atc lcpc lmft dds dmd md ms3 ms4"},
    {LX_CRED, 1, "pa pa-c pt ot do sw sn crt"},
    {LX_HOSPWORD, 0, "hospital hosp hospitals clinic infirmary memorial medical medicine "
                     "healthcare hospice sanatorium adventist presbyterian baptist rehab regional med practice "
                     "methodist nhs mc"},
    {LX_STREET, 0, "street st road rd avenue ave av lane ln drive boulevard blvd way court "
                   "ct place pl terrace terr close crescent cres square sq highway hwy "
                   "parkway pkwy circle cir trail trl pike turnpike alley row mews grove "
                   "gardens walk hill"},
    {LX_STATE, 0, "alabama alaska arizona arkansas california colorado connecticut "
                  "delaware florida georgia hawaii idaho illinois indiana iowa kansas "
                  "kentucky louisiana maine maryland massachusetts michigan minnesota "
                  "mississippi missouri montana nebraska nevada ohio oklahoma oregon "
                  "pennsylvania tennessee texas utah vermont virginia washington "
                  "wisconsin wyoming"},
    /* function words and frequent verbs: never taken for a name, even when a name list
     * has them (Will, May, Said...) */
    {LX_STOP, 0, "a an the and or but nor so yet for of in on at to from by with without "
                 "into onto over under about above after before during since until till "
                 "per via than then there here this that these those it its is are was "
                 "were be been being am do does did done doing have has had having will "
                 "would shall should can could may might must not no yes all any some "
                 "each every both either neither one two three four five six seven eight "
                 "nine ten he she him her his hers they them their we us our you your i me "
                 "my mine who whom whose which what when where why how also only just "
                 "very too as if while because although though aware notified informed "
                 "called paged made spoke speak spoken talked met saw seen see sees said "
                 "says told tells states stated asked updated came come went gone gave "
                 "given give get got getting wants want wanted feels felt took taken "
                 "aware at in re pt pts patient patients team service md mds rn rns staff "
                 "nurse nurses doctor doctors resident residents attending intern fellow "
                 "covering on-call oncall house officer ho np pa rrt ed er icu ccu micu "
                 "sicu floor today tonight tomorrow yesterday now later am pm noc night "
                 "day days morning evening afternoon shift hr hrs x s"},
    {LX_PHONECTX, 0, "phone telephone tel tele ph phn pager beeper pg bleep cell cellphone "
                     "mobile mob tel. telno cell# pager# ph# extension ext"},
    {LX_PHONECTX, 1, "fax facsimile"},
    /* identifiers: aux = PT_ type */
    {LX_IDCTX, PT_MRN, "mrn mr# mrno hospno crn urn"},
    {LX_IDCTX, PT_NHS, "nhs chi"},
    {LX_IDCTX, PT_SSN, "ssn sin"},
    {LX_IDCTX, PT_HEALTHPLAN, "medicaid medicare insurance insurer policy member subscriber "
                              "beneficiary plan"},
    {LX_IDCTX, PT_ACCOUNT, "account acct acc billing invoice"},
    {LX_IDCTX, PT_LICENSE, "license licence lic dea npi gmc nmc registration"},
    {LX_IDCTX, PT_DEVICE, "serial sn# device pacemaker implant model lot"},
    {LX_IDCTX, PT_VEHICLE, "vin plate"},
    {LX_IDCTX, PT_ID, "id ref reference case claim record unit accession specimen passport "
                      "encounter no."},
    {LX_ROLE, 0, "attending resident intern fellow registrar consultant surgeon physician "
                 "cardiologist neurologist oncologist nephrologist pulmonologist "
                 "intensivist anesthesiologist anaesthetist radiologist psychiatrist "
                 "pcp gp np nurse rn sw chaplain therapist pharmacist dietitian docter doc "
                 "dietician coordinator manager caseworker staff md md's hospitalist "
                 "anesthesia cardiology neurosurgery nephrology"},
    {LX_ROLEWEAK, 0, "by per paged called notified informed seen pa contacted contacts page "
                     "ask with w/"},
    {LX_VENT, 0, "peep ps psv cpap ips ipap epap bipap vent settings setting ac simv imv prvc "
                 "trial mode weaning wean psv/cpap cpap/ps ps/peep flowby flow-by"},
    {LX_MOVE, 0, "transferred transfered transfer transferring admitted admit admission "
                 "sent taken went came arrived arrives transported brought discharged "
                 "returned return moved flown medflighted medflight airlifted referred "
                 "lives living lived resides residing resident born visiting travelled "
                 "traveled trip vacation vacationing moving accepted accepting excepted presented enroute "
                 "presenting presents go going goes went visiting visited trans tx txd tx'd come comes coming "
                 "adm arrival followed meeting records transfered"},
    {LX_PLACESTOP, 0, "icu micu sicu ccu csru cvicu ctic nicu picu tsicu ticu cticu "
                      "pacu er ed ew or ir ct mri cath lab floor floors home house unit ward "
                      "room rehab hospital hosp osh rm bed chair commode bathroom hd "
                      "dialysis radiology endoscopy echo us gi ep cardiology surgery stepdown "
                      "step-down tele telemetry nursing facility snf ltac ltach nh alf "
                      "vicu pt ot the a an his her their this that bedside clinic office "
                      "cmed fmicu f-micu ficu cvru pcu imc imu sdu msicu nsicu bmt ep cathlab "
                      "xray x-ray nuc ems vna oh ltc sx cxr ekg ecg eeg lp tee pmicu mccu bb lab labs "
                      "morgue hospice cmo tx vent ventilator triage"},
    {LX_PROFESSION, 0, "teacher lawyer attorney engineer accountant electrician plumber "
                       "carpenter farmer mechanic firefighter fireman policeman policewoman "
                       "police officer soldier sailor pilot chef cook waiter waitress "
                       "cashier banker clerk secretary librarian journalist programmer "
                       "architect builder painter welder machinist trucker postman postwoman "
                       "postal carpenter bricklayer roofer decorator hairdresser barber "
                       "butcher baker fisherman shopkeeper salesperson receptionist "
                       "administrator civil servant surveyor solicitor barrister judge "
                       "magistrate optician pharmacist-retired lecturer academic scientist "
                       "chemist physicist economist consultant-engineer technician "
                       "labourer laborer factory-worker miner steelworker docker "
                       "truck-driver driver janitor salesman saleswoman realtor professor "
                       "miner fisherman musician singer actor actress dentist veterinarian "
                       "pastor priest minister rabbi imam"},
    {LX_AGEUNIT, 0, "yo y/o yrs yr year years yo. yof yom yoM yoF yowm yowf y.o year-old "
                    "years-old yr-old yrold yearold"},
    {LX_UNIT, 0, "tab tabs tablet tablets pill pills cap caps capsule capsules tsp tbsp "
                 "dose doses strength murmur murmurs sem holosystolic systolic diastolic "
                 "ns mg mcg ml cc l g kg mmol meq units unit iu mm mmhg cm "
                 "breaths beats bpm hg pulses pulse reflexes power grade score"},
    {LX_NUMCTX, 0, "bp nbp abp sbp dbp map cvp pap pa pcwp peep ps psv cpap bipap ipap "
                   "epap simv imv prvc vt fio2 ratio i:e ie grade strength power "
                   "murmur sem x abg vbg ph gcs apgar score scale rass cam tidal vol vs "
                   "hr rr sat sats o2 spo2 pco2 po2 vs. ci co co/ci ef hob bun cr lvef"},
    {LX_EPONYM, 0, "disease diseases syndrome syndromes sign signs test tests reflex "
                   "maneuver manoeuvre procedure operation fracture fractures palsy "
                   "phenomenon tumor tumour lymphoma sarcoma criteria score scale "
                   "classification law triad node nodes cell cells duct catheter valve "
                   "repair ulcer rhythm block position stockings disorder anomaly "
                   "effect tube drain shunt filter bundle cyst contracture deformity "
                   "aneurysm hernia disease's ring angle line lines formula equation cath "
                   "solution index respiration thyroiditis encephalitis encephalopathy dementia "
                   "anemia anaemia ataxia dystrophy neuralgia neuroma carcinoma reaction stain "
                   "method protocol criteria maneuvre spots nodules body bodies tear tears"},
    {LX_GENERIC, 0, "outside local prior previous recent other another same this that "
                    "their his her our your community county state general regional "
                    "university teaching district private public psychiatric mental "
                    "childrens children's women's womens veterans va day stay admission "
                    "discharge last first new old nearest nearby referring referral "
                    "rehabilitation rehab surgical medical "
                    "acute chronic major main big small"},
    {LX_NAMEPART, 0, "van von der den de del della la le du da di dos das mc mac st st. "
                     "saint bin ibn al el ben ter ten"},
    {LX_DATECTX, 0, "on since until till dated date dob d.o.b birth born dod died death "
                    "deceased admitted discharged seen from through thru"},
    /* header labels followed by ':'; aux: 1 name, 2 address, 3 date, 4 clinician */
    {LX_HEADER, 1, "name patient pt.name patientname surname forename forenames firstname "
                   "lastname"},
    {LX_HEADER, 2, "address addr street city town county postcode zip zipcode"},
    {LX_HEADER, 3, "dob date"},
    {LX_HEADER, 4, "gp consultant referrer signed author dictated attending physician "
                   "surgeon provider clinician cc"},
    {LX_TIMECTX, 0, "at @ until till by around approx approximately about ~ between "
                    "from to and before after since starting started hrs hours"},
    {LX_WARDWORD, 0, "room rm bed bay ward cubicle suite apt apartment flat"},
};

/* One word's record, in the arena (8-byte aligned); the lower-case word follows it,
 * NUL-terminated. The hash table holds only (offset, hash) pairs: 8 bytes a slot keeps
 * the table small for the ~470k words loaded at every start. */
typedef struct {
    uint64_t flags; /* LX_* */
    uint16_t len;
    uint8_t aux_title, aux_month; /* per-class small values (see phi_builtin) */
    uint8_t aux_id, aux_weak;     /* id type; weak weekday / credential / phone=fax */
    uint8_t aux_header, pad;
} PhiEntry;

typedef struct {
    uint32_t off;  /* byte offset of the PhiEntry in the arena; 0 = empty slot */
    uint32_t hash;
} PhiSlot;

struct SrPhiRules {
    PhiSlot *tab;
    uint32_t cap, n; /* cap: power of two */
    char *arena;
    size_t arena_len, arena_cap;
    int tab_mapped, arena_mapped; /* from phi_big_alloc's maps (else the heap) */
    int extras;       /* HOSPITAL, WARD, PROFESSION, YEAR on (default 1) */
    char data_dir[4096];
};

/* The table and the arena are ~20 MB touched once at every start: take them from
 * anonymous maps with transparent huge pages where the kernel offers them (a 2 MB page
 * is one fault instead of 512), else from the heap. Zero-filled either way. */
#define PHI_HUGE (2u << 20)
static void *phi_big_alloc(size_t n, int *mapped) {
    *mapped = 0;
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
    size_t len = (n + PHI_HUGE - 1) & ~(size_t)(PHI_HUGE - 1);
    char *m = mmap(NULL, len + PHI_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) { /* align to 2 MB and give back the slack on both sides */
        char *a = (char *)(((uintptr_t)m + PHI_HUGE - 1) & ~(uintptr_t)(PHI_HUGE - 1));
        if (a > m) munmap(m, (size_t)(a - m));
        if (a + len < m + len + PHI_HUGE) munmap(a + len, (size_t)(m + len + PHI_HUGE - (a + len)));
        madvise(a, len, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
        madvise(a, len, MADV_POPULATE_WRITE); /* fault it all in one call (Linux 5.14+; without THP: ~95 -> ~65 ms) */
#endif
        *mapped = 1;
        return a;
    }
#endif
    return xcalloc(1, n);
}
static void phi_big_free(void *p, size_t n, int mapped) {
    if (!p) return;
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
    if (mapped) { munmap(p, (n + PHI_HUGE - 1) & ~(size_t)(PHI_HUGE - 1)); return; }
#endif
    (void)n; (void)mapped;
    free(p);
}

static uint32_t phi_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h ? h : 1;
}

static PhiEntry *phi_entry_at(const SrPhiRules *r, uint32_t off) { return (PhiEntry *)(void *)(r->arena + off); }

/* Find (or with add, insert) the entry for lower-case s[0..n-1]; NULL when absent.
 * With add, the returned pointer is valid until the next insertion. */
static PhiEntry *phi_slot(SrPhiRules *r, const char *s, size_t n, uint32_t h, int add) {
    uint32_t mask = r->cap - 1, i = h & mask;
    for (;;) {
        const PhiSlot *t = &r->tab[i];
        if (!t->off) break;
        if (t->hash == h) {
            PhiEntry *e = phi_entry_at(r, t->off);
            if (e->len == n && !memcmp((const char *)(e + 1), s, n)) return e;
        }
        i = (i + 1) & mask;
    }
    if (!add) return NULL;
    if ((r->n + 1) * 2 > r->cap) { /* keep the load under 1/2: rehash */
        uint32_t oc = r->cap;
        PhiSlot *old = r->tab;
        int old_mapped = r->tab_mapped;
        r->cap = oc * 2;
        r->tab = phi_big_alloc((size_t)r->cap * sizeof(PhiSlot), &r->tab_mapped);
        for (uint32_t k = 0; k < oc; k++) {
            if (!old[k].off) continue;
            uint32_t j = old[k].hash & (r->cap - 1);
            while (r->tab[j].off) j = (j + 1) & (r->cap - 1);
            r->tab[j] = old[k];
        }
        phi_big_free(old, (size_t)oc * sizeof(PhiSlot), old_mapped);
        mask = r->cap - 1;
        i = h & mask;
        while (r->tab[i].off) i = (i + 1) & mask;
    }
    size_t need = (sizeof(PhiEntry) + n + 1 + 7) & ~(size_t)7;
    if (r->arena_len + need > r->arena_cap) {
        size_t oc = r->arena_cap;
        int was_mapped = r->arena_mapped;
        char *old = r->arena;
        while (r->arena_len + need > r->arena_cap) r->arena_cap *= 2;
        r->arena = phi_big_alloc(r->arena_cap, &r->arena_mapped);
        memcpy(r->arena, old, r->arena_len);
        phi_big_free(old, oc, was_mapped);
    }
    if (r->arena_len + need > 0xFFFFFFF0u) { fprintf(stderr, "sr: PHI lexicons too large\n"); exit(2); }
    PhiEntry *e = phi_entry_at(r, (uint32_t)r->arena_len);
    memset(e, 0, sizeof *e);
    e->len = (uint16_t)n;
    memcpy((char *)(e + 1), s, n);
    ((char *)(e + 1))[n] = 0;
    r->tab[i].off = (uint32_t)r->arena_len;
    r->tab[i].hash = h;
    r->arena_len += need;
    r->n++;
    return e;
}

static const PhiEntry *phi_lookup(const SrPhiRules *r, const char *s, size_t n) {
    if (n == 0 || n > 60) return NULL;
    return phi_slot((SrPhiRules *)r, s, n, phi_hash(s, n), 0);
}

/* Add one lexicon word (any case; ASCII is lower-cased) with flags. */
static PhiEntry *phi_add_word(SrPhiRules *r, const char *w, size_t n, uint64_t flags) {
    char low[64];
    while (n && (w[n - 1] == '\r' || w[n - 1] == ' ' || w[n - 1] == '\t')) n--;
    while (n && (*w == ' ' || *w == '\t')) w++, n--;
    if (n == 0 || n > 60) return NULL;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)w[i]);
    PhiEntry *e = phi_slot(r, low, n, phi_hash(low, n), 1);
    e->flags |= flags;
    return e;
}

/* Load a word list (one entry a line) with the given flags. A line holding several
 * words (a site's "Mary Jane Smith") adds each word. */
static int phi_load_list(SrPhiRules *r, const char *path, uint64_t flags, char *err) {
    size_t len = 0;
    char e[SR_ERR_LEN];
    /* map the file read-only (the words are hashed straight from the page cache, no
     * copy); read_file when it cannot be mapped (empty, a pipe) or for its error */
    char *buf = NULL, *map = NULL;
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        len = (size_t)st.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) map = NULL;
#ifdef MADV_SEQUENTIAL
        if (map) madvise(map, len, MADV_SEQUENTIAL);
#endif
    }
    if (fd >= 0) close(fd);
    if (map) buf = map;
    else if (!(buf = read_file(path, &len, e))) return sr_fail(err, "%s", e);
    enum { PHI_BATCH = 32 };
    struct { const char *s; size_t n; uint32_t h; } batch[PHI_BATCH];
    int nb = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        if (flags & LX_SITE) { /* split on spaces and commas */
            size_t a = i;
            while (a < j) {
                while (a < j && (buf[a] == ' ' || buf[a] == ',' || buf[a] == '\t' || buf[a] == '\r')) a++;
                size_t b = a;
                while (b < j && buf[b] != ' ' && buf[b] != ',' && buf[b] != '\t' && buf[b] != '\r') b++;
                if (b > a && buf[a] != '#') phi_add_word(r, buf + a, b - a, flags);
                else if (b > a) break; /* comment */
                a = b;
            }
        } else if (j > i && buf[i] != '#') {
            /* lower-case in place, hash, and prefetch the slot; insert a batch later so
             * the table's cache misses overlap */
            size_t a = i, b = j;
            while (b > a && (buf[b - 1] == '\r' || buf[b - 1] == ' ' || buf[b - 1] == '\t')) b--;
            while (a < b && (buf[a] == ' ' || buf[a] == '\t')) a++;
            int upper = 0;
            for (size_t k = a; k < b; k++) upper |= buf[k] >= 'A' && buf[k] <= 'Z';
            if (upper) phi_add_word(r, buf + a, b - a, flags); /* lower-cases a copy */
            else if (b > a && b - a <= 60) {
                uint32_t h = phi_hash(buf + a, b - a);
#if defined(__GNUC__)
                __builtin_prefetch(&r->tab[h & (r->cap - 1)]);
#endif
                batch[nb].s = buf + a;
                batch[nb].n = b - a;
                batch[nb].h = h;
                if (++nb == PHI_BATCH) {
                    for (int k = 0; k < nb; k++) phi_slot(r, batch[k].s, batch[k].n, batch[k].h, 1)->flags |= flags;
                    nb = 0;
                }
            }
        }
        i = j + 1;
    }
    for (int k = 0; k < nb; k++) phi_slot(r, batch[k].s, batch[k].n, batch[k].h, 1)->flags |= flags;
    if (map) munmap(map, len);
    else free(buf);
    return 0;
}

static void phi_add_builtins(SrPhiRules *r) {
    for (size_t c = 0; c < sizeof phi_builtin / sizeof phi_builtin[0]; c++) {
        const PhiWordClass *k = &phi_builtin[c];
        const char *p = k->words;
        while (*p) {
            while (*p == ' ') p++;
            const char *q = p;
            while (*q && *q != ' ') q++;
            if (q > p) {
                PhiEntry *e = phi_add_word(r, p, (size_t)(q - p), k->flag);
                if (e) {
                    if (k->flag == LX_TITLE) e->aux_title = (uint8_t)(k->aux + 1);
                    if (k->flag == LX_MONTH) e->aux_month = (uint8_t)k->aux;
                    if (k->flag == LX_IDCTX) e->aux_id = (uint8_t)k->aux;
                    if (k->flag == LX_HEADER) e->aux_header = (uint8_t)k->aux;
                    if ((k->flag == LX_WEEKDAY || k->flag == LX_CRED || k->flag == LX_PHONECTX) && k->aux)
                        e->aux_weak |= (uint8_t)(k->flag == LX_WEEKDAY ? 1 : k->flag == LX_CRED ? 2 : 4);
                }
            }
            p = q;
        }
    }
}

/* out = a + b, or 0 when it would not fit (no silent truncation of a path) */
static int phi_path(char *out, size_t cap, const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na + nb + 1 > cap) { if (cap) out[0] = 0; return 0; }
    memcpy(out, a, na);
    memcpy(out + na, b, nb + 1);
    return 1;
}

static int phi_dir_has_lexicons(const char *dir) {
    char p[4096];
    return phi_path(p, sizeof p, dir, "/phi_firstnames.txt") && access(p, R_OK) == 0;
}

/* Where the shipped lexicons are: the given folder; else $SR_DATA; else data/ beside
 * the binary, or two levels up (test binaries live in test/out/); else the data/ folder
 * of the source tree this binary was compiled from. */
static int phi_find_data_dir(const char *data_dir, char *out, size_t cap, char *err) {
    if (data_dir) {
        if (!phi_dir_has_lexicons(data_dir) || !phi_path(out, cap, data_dir, ""))
            return sr_fail(err, "%s: no phi_firstnames.txt there (the PHI lexicons)", data_dir);
        return 0;
    }
    const char *env = getenv("SR_DATA");
    if (env && *env && phi_dir_has_lexicons(env) && phi_path(out, cap, env, "")) return 0;
    char exe[2048], cand[4096];
    exe_dir(exe, sizeof exe);
    const char *rel[] = {"/data", "/../data", "/../../data"};
    for (int k = 0; k < 3; k++)
        if (phi_path(cand, sizeof cand, exe, rel[k]) && phi_dir_has_lexicons(cand) && phi_path(out, cap, cand, "")) return 0;
    char src[2048];
    phi_path(src, sizeof src, __FILE__, "");
    char *slash = strrchr(src, '/');
    if (slash) { *slash = 0; phi_path(cand, sizeof cand, src, "/data"); }
    else phi_path(cand, sizeof cand, "data", "");
    if (phi_dir_has_lexicons(cand) && phi_path(out, cap, cand, "")) return 0;
    return sr_fail(err, "PHI lexicons not found ($SR_DATA, data/ beside the binary or 2 levels up, "
                        "the source tree's data/); pass --data DIR");
}

SrPhiRules *sr_phi_rules_new(const char *data_dir, char *err) {
    SrPhiRules *r = xcalloc(1, sizeof *r);
    r->extras = 1;
    r->cap = 1u << 20;
    r->tab = phi_big_alloc((size_t)r->cap * sizeof(PhiSlot), &r->tab_mapped);
    r->arena_cap = 14u << 20; /* the shipped lists take ~12.7 MB */
    r->arena = phi_big_alloc(r->arena_cap, &r->arena_mapped); /* 8-byte aligned at least */
    r->arena_len = 8; /* offset 0 means an empty slot */
    if (phi_find_data_dir(data_dir, r->data_dir, sizeof r->data_dir, err) < 0) { sr_phi_rules_free(r); return NULL; }
    static const struct { const char *file; uint64_t flag; } lists[] = {
        {"phi_firstnames.txt", LX_FIRST},
        {"phi_surnames.txt", LX_LAST},
        {"phi_safe_words.txt", LX_COMMON},
        {"phi_us_cities.txt", LX_CITY},
        {"phi_english_names.txt", LX_ENGLISH},
        {"phi_clinical_safe.txt", LX_COMMON},
    };
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        char p[4096 + 64];
        phi_path(p, sizeof p, r->data_dir, "/");
        phi_path(p + strlen(p), sizeof p - strlen(p), lists[k].file, "");
        if (phi_load_list(r, p, lists[k].flag, err) < 0) { sr_phi_rules_free(r); return NULL; }
    }
    phi_add_builtins(r);
    return r;
}

int sr_phi_add_lexicon(SrPhiRules *r, const char *path, char *err) {
    return phi_load_list(r, path, LX_SITE, err);
}

void sr_phi_rules_free(SrPhiRules *r) {
    if (!r) return;
    phi_big_free(r->tab, (size_t)r->cap * sizeof(PhiSlot), r->tab_mapped);
    phi_big_free(r->arena, r->arena_cap, r->arena_mapped);
    free(r);
}

/* Extras (hospitals, wards, professions, lone years): on by default. */
void sr_phi_set_extras(SrPhiRules *r, int on) { r->extras = on != 0; }

/* ---- one document: tokens with shapes, then rules that mark tokens ---- */

enum { TK_WORD = 1, TK_NUM, TK_ALNUM, TK_PUNCT };
enum { SH_NONE, SH_LOWER, SH_UPPER, SH_TITLE, SH_MIXED };

typedef struct {
    int b0, b1, c0, c1; /* byte and code-point span */
    uint64_t lex;       /* LX_* flags of the lower-cased word (0: not in any list) */
    const PhiEntry *e;  /* its lexicon entry, or NULL */
    int val;            /* NUM: value (capped at 999999999) */
    uint8_t kind, shape;
    uint8_t ndig;       /* digits in the token (capped at 255) */
    uint8_t nalpha;     /* letters in the token (capped at 255) */
    uint8_t nl, sp;     /* a line break / whitespace precedes it */
    uint8_t ch;         /* TK_PUNCT: the ASCII character ('\'' for a curly quote, 0 other) */
    uint8_t ctx_name;   /* marked by a context rule (seed for same-name propagation) */
} PhiTok;

typedef struct {
    const SrPhiRules *r;
    const char *text;
    size_t len;
    PhiTok *t;
    int n, cap;
    uint8_t *type;     /* PT_* per token, 0 = not PHI */
    const char **src;  /* rule that marked it */
    int *trig;         /* token index of the context word that triggered it, or -1 */
    int mixed;         /* the document is mixed case: capitals mean something */
} PhiDoc;

static int phi_is_letter_cp(int cp) {
    if (cp < 0x80) return (cp | 32) >= 'a' && (cp | 32) <= 'z';
    if (cp == 0xAA || cp == 0xB5 || cp == 0xBA) return 1;
    if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;
    if (cp >= 0x370 && cp < 0x2000) return 1;  /* Greek, Cyrillic, ... */
    if (cp >= 0x2C00 && cp < 0xFE00) return 1; /* other scripts, CJK */
    if (cp >= 0x10000) return 1;
    return 0;
}
/* letter case for ASCII and the Latin-1 / Latin Extended-A letters of European names */
static int phi_upper_cp(int cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z';
    if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
    if (cp >= 0x100 && cp <= 0x17F) return cp % 2 == 0 && cp != 0x138;
    return 0;
}
static int phi_lower_cp(int cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z';
    if (cp >= 0xDF && cp <= 0xFF) return cp != 0xF7;
    if (cp >= 0x100 && cp <= 0x17F) return cp % 2 == 1 || cp == 0x138;
    return 0;
}
static int phi_is_space_cp(int cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
           cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* Cut text into tokens. Words may hold an apostrophe between letters (O'Rourke,
 * Parkinson's). Fails only on invalid UTF-8. */
static int phi_tokenize(PhiDoc *d, char *err) {
    const unsigned char *s = (const unsigned char *)d->text;
    size_t len = d->len, i = 0;
    int cp_pos = 0, nl = 1, sp = 1;
    long upper = 0, lower = 0;
    while (i < len) {
        size_t at = i;
        int cp = s[i] < 0x80 ? s[i++] : utf8_decode(s, len, &i);
        if (cp < 0) return sr_fail(err, "invalid UTF-8 at byte offset %zu", at);
        if (phi_is_space_cp(cp)) {
            sp = 1;
            if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) nl = 1;
            cp_pos++;
            continue;
        }
        d->t = grow(d->t, &d->cap, d->n + 1, sizeof(PhiTok));
        PhiTok *t = &d->t[d->n++];
        memset(t, 0, sizeof *t);
        t->b0 = (int)at;
        t->c0 = cp_pos++;
        t->nl = (uint8_t)nl;
        t->sp = (uint8_t)sp;
        nl = sp = 0;
        int isdig = cp < 0x80 && isdigit(cp);
        if (!isdig && !phi_is_letter_cp(cp)) {
            t->kind = TK_PUNCT;
            t->ch = cp < 0x80 ? (uint8_t)cp : (cp == 0x2019 || cp == 0x2018) ? '\'' :
                    (cp == 0x2013 || cp == 0x2014) ? '-' : 0;
            t->b1 = (int)i;
            t->c1 = cp_pos;
            continue;
        }
        int ndig = 0, nalpha = 0, up = 0, lo = 0, first_up = 0;
        long val = 0;
        int c = cp;
        for (;;) {
            if (c >= '0' && c <= '9') {
                ndig++;
                if (val < 100000000) val = val * 10 + (c - '0');
                else val = 999999999;
            } else {
                int cu = phi_upper_cp(c), cl = phi_lower_cp(c);
                if (nalpha == 0 && ndig == 0) first_up = cu;
                nalpha++;
                up += cu;
                lo += cl;
            }
            if (i >= len) break;
            size_t j = i;
            int nc;
            if (s[i] < 0x80) {
                nc = s[j++];
                if ((nc >= '0' && nc <= '9') || ((nc | 32) >= 'a' && (nc | 32) <= 'z')) { i = j; cp_pos++; c = nc; continue; }
            } else {
                nc = utf8_decode(s, len, &j);
                if (nc < 0) return sr_fail(err, "invalid UTF-8 at byte offset %zu", i);
                if (phi_is_letter_cp(nc)) { i = j; cp_pos++; c = nc; continue; }
            }
            /* apostrophe between letters stays inside the word */
            if ((nc == '\'' || nc == 0x2019) && nalpha > 0 && ndig == 0 && j < len) {
                size_t k = j;
                int nn = utf8_decode(s, len, &k);
                if (nn >= 0 && nn < 0x80 && isalpha(nn)) { i = k; cp_pos += 2; c = nn; nalpha++;
                    if (isupper(nn)) up++; else lo++;
                    continue; }
            }
            break;
        }
        t->b1 = (int)i;
        t->c1 = cp_pos;
        t->ndig = (uint8_t)(ndig > 255 ? 255 : ndig);
        t->nalpha = (uint8_t)(nalpha > 255 ? 255 : nalpha);
        t->kind = ndig == 0 ? TK_WORD : nalpha == 0 ? TK_NUM : TK_ALNUM;
        t->val = (int)val;
        if (up + lo == 0) t->shape = SH_NONE;
        else if (lo == 0) t->shape = SH_UPPER;
        else if (up == 0) t->shape = SH_LOWER;
        else if (first_up && up == 1) t->shape = SH_TITLE;
        else t->shape = SH_MIXED;
        upper += up;
        lower += lo;
        /* lexicon: lower-cased, without a trailing 's */
        if (t->kind != TK_NUM) {
            char low[64];
            int n = t->b1 - t->b0;
            if (n <= 60) {
                for (int k = 0; k < n; k++) low[k] = (char)tolower(s[t->b0 + k]);
                if (n > 2 && low[n - 1] == 's' && low[n - 2] == '\'') n -= 2;
                else if (n > 4 && low[n - 1] == 's' && (unsigned char)low[n - 2] == 0x99 &&
                         (unsigned char)low[n - 3] == 0x80 && (unsigned char)low[n - 4] == 0xE2) n -= 4;
                t->e = phi_lookup(d->r, low, (size_t)n);
                /* O'Brien, D'Angelo: the lists spell them obrien or brien */
                if (!t->e && n > 3 && low[1] == '\'') {
                    char j2[64];
                    j2[0] = low[0];
                    memcpy(j2 + 1, low + 2, (size_t)n - 2);
                    t->e = phi_lookup(d->r, j2, (size_t)n - 1);
                    if (!t->e) t->e = phi_lookup(d->r, low + 2, (size_t)n - 2);
                    if (t->e && !(t->e->flags & (LX_FIRST | LX_LAST))) t->e = NULL;
                }
                if (t->e) t->lex = t->e->flags;
            }
        }
    }
    /* mixed case: capitals are a minority, as in ordinary prose, over the whole text and
     * on most of its lines (a note with an ALL CAPS header and an all lower-case body
     * carries no signal in its capitals) */
    long letters = upper + lower;
    d->mixed = letters > 0 && upper * 100 < letters * 45 && upper * 100 > letters * 1;
    if (d->mixed) {
        long lines_mixed = 0, lines_flat = 0, lu = 0, ll = 0;
        for (int k = 0; k <= d->n; k++) {
            if (k == d->n || d->t[k].nl) {
                if (lu + ll >= 20) {
                    if (lu * 100 > (lu + ll) * 1 && lu * 100 < (lu + ll) * 45) lines_mixed += lu + ll;
                    else lines_flat += lu + ll;
                }
                lu = ll = 0;
                if (k == d->n) break;
            }
            const PhiTok *t = &d->t[k];
            if (t->kind == TK_PUNCT) continue;
            for (int b = t->b0; b < t->b1; b++) {
                unsigned char c = s[b];
                if (c >= 'A' && c <= 'Z') lu++;
                else if (c >= 'a' && c <= 'z') ll++;
            }
        }
        if (lines_flat > lines_mixed) d->mixed = 0;
    }
    return 0;
}

/* ---- token predicates ---- */

static int phi_punct(const PhiDoc *d, int i, char c) {
    return i >= 0 && i < d->n && d->t[i].kind == TK_PUNCT && d->t[i].ch == (uint8_t)c;
}
static int phi_word(const PhiDoc *d, int i) { return i >= 0 && i < d->n && d->t[i].kind == TK_WORD; }
static int phi_num(const PhiDoc *d, int i) { return i >= 0 && i < d->n && d->t[i].kind == TK_NUM; }
/* token i touches token i-1 (no whitespace between) */
static int phi_tight(const PhiDoc *d, int i) { return i > 0 && i < d->n && !d->t[i].sp; }
static int phi_cap(const PhiTok *t) { return t->shape == SH_TITLE || t->shape == SH_MIXED || (t->shape == SH_UPPER && t->nalpha > 1); }
/* lower-cased word equals w */
static inline int phi_is(const PhiDoc *d, int i, const char *w) {
    if (i < 0 || i >= d->n) return 0;
    const char *p = d->text + d->t[i].b0, *end = d->text + d->t[i].b1;
    for (; p < end; p++, w++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)*w) return 0; /* also stops at the end of w */
    }
    return *w == 0;
}
static uint64_t phi_lex(const PhiDoc *d, int i) { return i >= 0 && i < d->n ? d->t[i].lex : 0; }
/* a single letter, optionally followed by a tight '.' : an initial */
static int phi_initial(const PhiDoc *d, int i) {
    return phi_word(d, i) && d->t[i].nalpha == 1 && d->t[i].b1 - d->t[i].b0 == 1;
}
static int phi_free(const PhiDoc *d, int i) { return i >= 0 && i < d->n && d->type[i] == PT_NONE; }
/* a cheap filter before a list of phi_is tests: token i is a word whose lower-cased first
 * letter is in set */
static inline int phi_starts_in(const PhiDoc *d, int i, const char *set) {
    if (i < 0 || i >= d->n || d->t[i].kind != TK_WORD) return 0;
    char c = (char)tolower((unsigned char)d->text[d->t[i].b0]);
    return strchr(set, c) != NULL && c != 0;
}
/* token i starts a line, a sentence or a field: its capital says nothing */
static int phi_sentence_start(const PhiDoc *d, int i) {
    if (i <= 0 || d->t[i].nl) return 1;
    const PhiTok *p = &d->t[i - 1];
    return p->kind == TK_PUNCT && (p->ch == '.' || p->ch == '!' || p->ch == '?' || p->ch == ':' || p->ch == ';' ||
                                   p->ch == '"' || p->ch == '(' || p->ch == '-' || p->ch == '*' || p->ch == 0);
}

/* How much a word looks like a name, by lexicons, shape and the document's case.
 * strict: outside a name slot (needs the name lists or a capital in mixed text);
 * lenient: inside a slot that context says holds a name (after "Dr", before "RN"). */
static int phi_namelike(const PhiDoc *d, int i, int lenient) {
    if (!phi_word(d, i)) return 0;
    const PhiTok *t = &d->t[i];
    uint64_t lx = t->lex;
    if (lx & LX_SITE) return 1;
    if (lx & (LX_STOP | LX_MONTH | LX_WEEKDAY | LX_CRED | LX_TITLE | LX_RELATION | LX_HOSPWORD)) {
        /* a month/weekday can be a name only with a capital in mixed text (April Jones) */
        if ((lx & LX_STOP) || !(lx & (LX_FIRST | LX_LAST)) || !d->mixed || !phi_cap(t)) return 0;
        if (lx & (LX_CRED | LX_TITLE | LX_RELATION | LX_HOSPWORD)) return 0;
    }
    if (t->nalpha < 2) return 0;
    int common = (lx & LX_COMMON) != 0, inlist = (lx & (LX_FIRST | LX_LAST)) != 0;
    if (inlist && !common) return 1;
    if (d->mixed && phi_cap(t) && !common) return 1;
    if (!lenient) return 0;
    if (!common) return 1;                      /* unknown word in a name slot */
    if (inlist && (!d->mixed || phi_cap(t))) return 1; /* "Dr. White", "son Bill" */
    return 0;
}

static void phi_mark(PhiDoc *d, int a, int b, int type, const char *src, int trig) {
    if (a < 0) a = 0;
    if (b >= d->n) b = d->n - 1;
    for (int k = a; k <= b; k++) {
        if (d->type[k]) continue;
        d->type[k] = (uint8_t)type;
        d->src[k] = src;
        d->trig[k] = trig;
    }
}
/* mark a name token, with the tight '.' after an initial */
static void phi_mark_name(PhiDoc *d, int i, int type, const char *src, int trig, int seed) {
    phi_mark(d, i, i, type, src, trig);
    if (phi_initial(d, i) && phi_punct(d, i + 1, '.') && phi_tight(d, i + 1)) phi_mark(d, i + 1, i + 1, type, src, trig);
    if (seed) d->t[i].ctx_name = 1;
}
static int phi_is_name_type(int t) { return t == PT_DOCTOR || t == PT_PATIENT || t == PT_RELATIVE || t == PT_NAME; }

/* Collect a name forward from token i: initials, name-like words, surname particles
 * (van der, O', Mc) and hyphenated parts, up to max words on one line. Returns the
 * index after the name (i when none). The first word uses `lenient_first`. */
static int phi_take_name(PhiDoc *d, int i, int max, int lenient_first, int type, const char *src, int trig) {
    int k = i, words = 0, real = 0;
    while (k < d->n && words < max) {
        if (k > i && d->t[k].nl) break;
        if (phi_initial(d, k) && !(d->t[k].lex & LX_STOP && d->t[k].shape == SH_LOWER)) {
            /* "J. Smith", "EDWARD C. JONES": an initial needs a name after it or before it */
            int next = phi_punct(d, k + 1, '.') && phi_tight(d, k + 1) ? k + 2 : k + 1;
            int name_after = next < d->n && !d->t[next].nl && phi_namelike(d, next, 1) && !phi_initial(d, next);
            if (!name_after && !real && !(words == 0 && k == i && lenient_first == 2)) break;
            phi_mark_name(d, k, type, src, trig, 0);
            words++;
            k = next;
            continue;
        }
        int after = k + 1;
        while (after < d->n && phi_word(d, after) && (d->t[after].lex & LX_NAMEPART) && after < k + 3) after++;
        if (phi_punct(d, after, '.')) after++;
        if (phi_word(d, k) && (d->t[k].lex & LX_NAMEPART) && k + 1 < d->n && !d->t[k + 1].nl &&
            phi_namelike(d, after, 1) && (d->mixed ? phi_cap(&d->t[after]) : 1) &&
            words + 1 < max) {
            phi_mark(d, k, k, type, src, trig);
            k++;
            if (phi_punct(d, k, '.')) { phi_mark(d, k, k, type, src, trig); k++; }
            continue;
        }
        int ok = phi_namelike(d, k, words == 0 ? lenient_first != 0 : 0);
        if (!ok && words > 0 && phi_word(d, k) && !(d->t[k].lex & (LX_STOP | LX_MONTH | LX_WEEKDAY | LX_CRED | LX_TITLE | LX_RELATION | LX_UNIT | LX_PLACESTOP))) {
            uint64_t lk = d->t[k].lex;
            if (d->mixed && d->t[k].shape == SH_TITLE && (lk & (LX_FIRST | LX_LAST))) ok = 1; /* Dr. Art White */
            else if (!(lk & LX_COMMON) && d->t[k].nalpha >= 3 && (d->t[k - 1].lex & LX_FIRST)) ok = 1; /* Karen Quellenberg */
        }
        if (!ok) break;
        phi_mark_name(d, k, type, src, trig, 1);
        words++;
        real++;
        k++;
        /* Smith-Jones */
        if (phi_punct(d, k, '-') && phi_tight(d, k) && phi_tight(d, k + 1) && phi_word(d, k + 1) &&
            !(d->t[k + 1].lex & LX_STOP) && d->t[k + 1].nalpha > 1 &&
            (!(d->t[k + 1].lex & LX_COMMON) || (d->mixed && phi_cap(&d->t[k + 1])))) {
            phi_mark(d, k, k + 1, type, src, trig);
            d->t[k + 1].ctx_name = 1;
            k += 2;
        }
    }
    return real ? k : i;
}

/* ---- rules over numbers ---- */

static int phi_month_day(int m, int dd) { return m >= 1 && m <= 12 && dd >= 1 && dd <= 31; }

/* Digit groups from token i: NUM separated by one of "-. " or "(...)", same line.
 * Fills g[] with token indexes and returns the count (<= 6). seps: bit 1 '-', 2 '.',
 * 4 space, 8 parens, 16 '/'. */
static int phi_groups(const PhiDoc *d, int i, int *g, int *seps) {
    int n = 0;
    *seps = 0;
    int k = i;
    g[n++] = k;
    while (n < 6) {
        int j = k + 1;
        if (j >= d->n) break;
        const PhiTok *t = &d->t[j];
        if (t->nl) break;
        if (t->kind == TK_NUM && t->sp) { *seps |= 4; g[n++] = j; k = j; continue; }
        if (t->kind == TK_PUNCT && (t->ch == '-' || t->ch == '.' || t->ch == ')' || t->ch == '/') &&
            j + 1 < d->n && d->t[j + 1].kind == TK_NUM && !d->t[j + 1].nl &&
            (t->ch == ')' || (!t->sp && !d->t[j + 1].sp))) {
            *seps |= t->ch == '-' ? 1 : t->ch == '.' ? 2 : t->ch == '/' ? 16 : 8;
            g[n++] = j + 1;
            k = j + 1;
            continue;
        }
        break;
    }
    return n;
}

/* Is the token before i (skipping ':' '=' '#') a context word with flag? Returns its
 * index or -1; looks back up to `back` tokens. */
static int phi_ctx_before(const PhiDoc *d, int i, uint64_t flag, int back) {
    for (int k = i - 1; k >= 0 && k >= i - back; k--) {
        const PhiTok *t = &d->t[k];
        if (t->kind == TK_PUNCT && (t->ch == ':' || t->ch == '=' || t->ch == '#' || t->ch == '-' || t->ch == '(' || t->ch == '.')) {
            if (d->t[k + 1].nl && k + 1 <= i) return -1;
            continue;
        }
        if (t->lex & flag) return k;
        if (t->kind == TK_WORD && (phi_is(d, k, "number") || phi_is(d, k, "no") || phi_is(d, k, "num") ||
                                   phi_is(d, k, "nr") || phi_is(d, k, "is") || phi_is(d, k, "of"))) continue;
        return -1;
    }
    return -1;
}

static void phi_rule_phone_shapes(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!phi_num(d, i) || !phi_free(d, i)) continue;
        if (i > 0 && d->t[i - 1].kind == TK_NUM && !d->t[i].sp) continue;
        /* not the tail of a group already seen */
        if (i > 1 && phi_tight(d, i) && d->t[i - 1].kind == TK_PUNCT && (d->t[i - 1].ch == '-' || d->t[i - 1].ch == '.' || d->t[i - 1].ch == '/') && phi_num(d, i - 2) && phi_tight(d, i - 1)) continue;
        int g[6], seps;
        int n = phi_groups(d, i, g, &seps);
        int dg[6];
        for (int k = 0; k < n; k++) dg[k] = d->t[g[k]].ndig;
        int first = i, last = -1, plus = phi_punct(d, i - 1, '+') && phi_tight(d, i);
        int paren = phi_punct(d, i - 1, '(') && phi_tight(d, i);
        int lead0 = d->text[d->t[i].b0] == '0';
        /* SSN 123-45-6789 */
        if (n >= 3 && dg[0] == 3 && dg[1] == 2 && dg[2] == 4 && seps == 1) {
            int ctx = phi_ctx_before(d, i, LX_IDCTX, 4);
            phi_mark(d, i, g[2], PT_SSN, "rule:ssn-shape", ctx);
            i = g[2];
            continue;
        }
        if (!(seps & 16)) {
            for (int m = n; m >= 2 && last < 0; m--) {
                int a = dg[0], b = dg[1], c = m > 2 ? dg[2] : 0, e = m > 3 ? dg[3] : 0;
                int sum = 0;
                for (int k = 0; k < m; k++) sum += dg[k];
                if (m == 3 && a == 3 && b == 3 && c == 4 && ((seps & ~8) != 2 || seps == 2)) last = g[2];
                else if (m == 4 && dg[0] == 1 && b == 3 && c == 3 && e == 4) last = g[3];
                else if (m == 2 && a == 3 && b == 4 && paren) last = g[1]; /* 900-1300 is a range */
                else if (m == 2 && paren && a == 3 && b == 7) last = g[1];
                else if (plus && sum >= 10 && sum <= 13 && !(seps & 2)) last = g[m - 1];
                else if (lead0 && !(seps & 2) && sum >= 10 && sum <= 11 && m >= 2 && m <= 3) last = g[m - 1];
            }
            if (last < 0 && n == 1 && lead0 && dg[0] == 11 && !phi_punct(d, i + 1, '.')) last = i;
            if (last < 0 && paren && n >= 2 && !(seps & 2)) {
                int sum = 0;
                for (int k = 0; k < n; k++) sum += dg[k];
                if ((sum == 10 || sum == 11) && phi_punct(d, g[n - 1] + 1, ')')) last = g[n - 1];
            }
        }
        if (last >= 0) {
            if (plus) first = i - 1;
            if (paren) first = i - 1;
            int type = PT_PHONE;
            int ctx = phi_ctx_before(d, first, LX_PHONECTX | LX_IDCTX, 4);
            if (ctx >= 0 && (d->t[ctx].lex & LX_PHONECTX) && d->t[ctx].e && (d->t[ctx].e->aux_weak & 4)) type = PT_FAX;
            if (ctx >= 0 && (d->t[ctx].lex & LX_IDCTX) && d->t[ctx].e && d->t[ctx].e->aux_id == PT_NHS) type = PT_NHS;
            int endk = last;
            if (paren && phi_punct(d, last + 1, ')')) endk = last; /* keep ')' outside unless inside */
            phi_mark(d, first, endk, type, type == PT_NHS ? "rule:nhs-number" : "rule:phone-shape", ctx);
            i = last;
        }
    }
}

/* a name right before a telephone word: "Odalys Brackwater cell# 555-010-4477" */
static void phi_rule_name_before_phone(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!(d->t[i].lex & LX_PHONECTX) || !phi_word(d, i) || d->t[i].nl) continue;
        int k = i - 1, words = 0;
        if (phi_punct(d, k, ':') || phi_punct(d, k, '-') || phi_punct(d, k, ',')) k--;
        while (k >= 0 && words < 3 && phi_word(d, k) && phi_free(d, k) && !d->t[k + 1].nl) {
            uint64_t lx = d->t[k].lex;
            if (lx & (LX_STOP | LX_RELATION | LX_TITLE | LX_ROLE | LX_PHONECTX | LX_PLACESTOP | LX_HEADER)) break;
            int ok = ((lx & (LX_FIRST | LX_LAST | LX_SITE)) && !(lx & LX_COMMON)) || (d->mixed && d->t[k].shape == SH_TITLE && !(lx & LX_COMMON));
            if (!ok) break;
            phi_mark_name(d, k, PT_NAME, "rule:name-before-phone", i, 1);
            words++;
            if (d->t[k].nl) break;
            k--;
        }
    }
}

/* A number after a context word: phone/pager/fax, MRN/account/licence..., '#'. */
static void phi_rule_context_numbers(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        uint64_t lx = d->t[i].lex;
        int is_hash = phi_punct(d, i, '#');
        if (!(lx & (LX_PHONECTX | LX_IDCTX)) && !is_hash) continue;
        if (d->t[i].kind == TK_PUNCT && !is_hash) continue;
        /* find the number: skip up to 4 tokens of separators and filler words */
        int k = i + 1, skipped = 0;
        while (k < d->n && skipped < 4) {
            const PhiTok *t = &d->t[k];
            if (t->nl && !(k == i + 1 && phi_punct(d, i + 1, ':'))) {
                if (!(k > 0 && phi_punct(d, k - 1, ':'))) break;
            }
            if (t->kind == TK_PUNCT && (t->ch == ':' || t->ch == '#' || t->ch == '-' || t->ch == '(' || t->ch == '.' || t->ch == '=')) { k++; skipped++; continue; }
            if (t->kind == TK_WORD && (phi_is(d, k, "number") || phi_is(d, k, "no") || phi_is(d, k, "num") || phi_is(d, k, "nr") ||
                                       phi_is(d, k, "is") || ((lx & LX_PHONECTX) && phi_is(d, k, "at")) || phi_is(d, k, "id") || phi_is(d, k, "of"))) { k++; skipped++; continue; }
            break;
        }
        if (k >= d->n || is_hash) k = is_hash ? i + 1 : k;
        if (k >= d->n) continue;
        const PhiTok *t = &d->t[k];
        if (is_hash && (t->sp || t->nl)) continue;
        int type = PT_ID;
        const char *src = "rule:id-context";
        if (lx & LX_PHONECTX) { type = d->t[i].e && (d->t[i].e->aux_weak & 4) ? PT_FAX : PT_PHONE; src = "rule:phone-context"; }
        else if (lx & LX_IDCTX) {
            type = d->t[i].e ? d->t[i].e->aux_id : PT_ID;
            if (!type) type = PT_ID;
            if (phi_is(d, i, "record") && (phi_is(d, i - 1, "medical") || phi_is(d, i - 1, "hospital") || phi_is(d, i - 1, "health"))) type = PT_MRN;
        }
        int digits = t->ndig;
        if (t->kind == TK_NUM) {
            if (is_hash && digits < 4) continue;
            if (!is_hash && type != PT_PHONE && type != PT_FAX && digits < 3) continue;
            if ((type == PT_PHONE || type == PT_FAX) && digits < 3) continue;
        } else if (t->kind == TK_ALNUM) {
            /* #rg17 is an identifier; #20fr, #20g, #20x2 are catheter sizes */
            int letter_first = !isdigit((unsigned char)d->text[t->b0]);
            if (digits < 2 || (!letter_first && digits < 3)) continue;
        } else continue;
        if (!phi_free(d, k)) continue;
        /* the identifier runs over tight '-' '/' '.' joins and, for phones, spaced groups */
        int end = k, total = digits;
        for (;;) {
            int j = end + 1;
            if (j < d->n && !d->t[j].nl && d->t[j].kind == TK_PUNCT && !d->t[j].sp &&
                (d->t[j].ch == '-' || d->t[j].ch == '/' || d->t[j].ch == '.' || d->t[j].ch == ')') &&
                j + 1 < d->n && (d->t[j + 1].kind == TK_NUM || d->t[j + 1].kind == TK_ALNUM) && !d->t[j + 1].nl &&
                (d->t[j].ch == ')' || !d->t[j + 1].sp)) {
                end = j + 1; total += d->t[end].ndig; continue;
            }
            if (j < d->n && !d->t[j].nl && (d->t[j].kind == TK_NUM || (type != PT_PHONE && type != PT_FAX && d->t[j].kind == TK_ALNUM)) &&
                d->t[j].ndig >= 2 && (type == PT_PHONE || type == PT_FAX || type == PT_NHS || type == PT_SSN || total < 6)) {
                end = j; total += d->t[j].ndig; continue;
            }
            break;
        }
        if ((type == PT_PHONE || type == PT_FAX) && total < 4) continue;
        if (type == PT_NHS && total != 10) continue; /* NHS and CHI numbers have 10 digits ("NHS 111" is a service) */
        phi_mark(d, k, end, type, is_hash ? "rule:number-sign" : src, is_hash ? -1 : i);
        i = end;
    }
}

/* numeric dates: 8/14, 8/28/1995, 28.08.1995, 1995-08-28, on 7-8 */
static void phi_rule_numeric_dates(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!phi_num(d, i) || !phi_free(d, i)) continue;
        if (d->t[i].ndig > 4) continue;
        int s1 = i + 1, b = i + 2;
        if (!(s1 < d->n && d->t[s1].kind == TK_PUNCT && phi_tight(d, s1) && phi_num(d, b) && phi_tight(d, b))) continue;
        char sep = (char)d->t[s1].ch;
        if (sep != '/' && sep != '-' && sep != '.') continue;
        /* part of a decimal or a longer chain before: 0.5/1, 120/80/60 */
        if (i >= 2 && phi_tight(d, i) && d->t[i - 1].kind == TK_PUNCT && (d->t[i - 1].ch == '.' || d->t[i - 1].ch == '/' || d->t[i - 1].ch == ',') && (phi_num(d, i - 2))) continue;
        if (i >= 1 && phi_tight(d, i) && d->t[i - 1].kind != TK_PUNCT) continue;
        if (i >= 1 && phi_tight(d, i) && (d->t[i - 1].ch == '/' || d->t[i - 1].ch == '.')) continue; /* 40%/5/5, 10/.30/5 */
        int a = d->t[i].val, bv = d->t[b].val, na = d->t[i].ndig, nb = d->t[b].ndig;
        int three = b + 2 < d->n && phi_punct(d, b + 1, sep) && phi_tight(d, b + 1) && phi_num(d, b + 2) && phi_tight(d, b + 2);
        int last = -1;
        const char *src = NULL;
        if (three) {
            int c = d->t[b + 2].val, nc = d->t[b + 2].ndig;
            /* no fourth part, no decimal after */
            int more = b + 4 < d->n + 1 && b + 3 < d->n && phi_tight(d, b + 3) && d->t[b + 3].kind == TK_PUNCT &&
                       (d->t[b + 3].ch == sep || d->t[b + 3].ch == '.') && b + 4 < d->n && phi_num(d, b + 4) && phi_tight(d, b + 4);
            if (phi_punct(d, b + 3, '%') || (b + 3 < d->n && phi_tight(d, b + 3) && d->t[b + 3].kind != TK_PUNCT)) more = 1;
            if (!more) {
                int year_last = nc == 4 ? (c >= 1800 && c <= 2100) : nc == 2;
                if (na <= 2 && nb <= 2 && year_last && (phi_month_day(a, bv) || phi_month_day(bv, a)) &&
                    (sep != '.' || nc == 4 || (na == 2 && nb == 2 && nc == 2))) last = b + 2; /* 12.03.24: three two-digit parts */
                else if (na == 4 && a >= 1800 && a <= 2100 && nb <= 2 && nc <= 2 && (phi_month_day(bv, c) || phi_month_day(c, bv))) last = b + 2;
                src = "rule:date-numeric";
            }
        } else if (!(b + 2 < d->n && phi_tight(d, b + 1) && d->t[b + 1].kind == TK_PUNCT && (d->t[b + 1].ch == sep || d->t[b + 1].ch == '.' || d->t[b + 1].ch == ',') && phi_num(d, b + 2) && phi_tight(d, b + 2))) {
            if (b + 1 < d->n && phi_tight(d, b + 1) && d->t[b + 1].kind != TK_PUNCT) continue; /* 2/3rds, 1/2tab */
            int ctx = phi_ctx_before(d, i, LX_DATECTX, 2);
            int numctx = 0, pk = i - 1;
            while (pk >= 0 && (phi_punct(d, pk, ':') || phi_punct(d, pk, '=')) && !d->t[pk + 1].nl) pk--;
            if (pk >= 0 && !d->t[pk + 1].nl && ((d->t[pk].lex & LX_NUMCTX) || ((d->t[pk].lex & LX_VENT) && bv <= 10))) numctx = 1;
            /* ventilator settings (PS 10/5) and pain scores (6/10) nearby */
            int pain = 0, words_back = 0;
            for (int k = i - 1; k >= 0 && k >= i - 8 && !d->t[k + 1].nl; k--) {
                if (d->t[k].kind == TK_WORD) words_back++;
                if ((d->t[k].lex & LX_VENT) && bv <= 10 && words_back <= 2) numctx = 1;
                if (bv == 10 && a <= 10 && (phi_is(d, k, "pain") || phi_is(d, k, "cp") || phi_is(d, k, "discomfort") ||
                    phi_is(d, k, "headache") || phi_is(d, k, "ha") || phi_is(d, k, "rated") || phi_is(d, k, "rates") ||
                    phi_is(d, k, "score") || phi_is(d, k, "scale") || phi_is(d, k, "o") || phi_is(d, k, "aches") || phi_is(d, k, "ache")))
                    numctx = pain = 1;
            }
            if (pain) ctx = -1;
            for (int k = b + 1; k < d->n && k <= b + 2 && !d->t[k].nl; k++)
                if (bv == 10 && a <= 10 && (phi_is(d, k, "pain") || phi_is(d, k, "cp") || phi_is(d, k, "angina") || phi_is(d, k, "headache"))) { numctx = 1; ctx = -1; }
            if (phi_punct(d, b + 1, '/') && phi_tight(d, b + 1)) numctx = 1, ctx = -1; /* 10/5/.30 */
            if (bv == 6 || bv == 4) /* "2/6 ejection systolic murmur", "3/4 holosystolic" */
                for (int k = b + 1; k < d->n && k <= b + 4 && !d->t[k].nl; k++)
                    if (phi_is(d, k, "murmur") || phi_is(d, k, "sem") || phi_is(d, k, "systolic") || phi_is(d, k, "diastolic") ||
                        phi_is(d, k, "holosystolic") || phi_is(d, k, "pansystolic") || phi_is(d, k, "esm") || phi_is(d, k, "psm")) { numctx = 1; ctx = -1; }
            if (phi_punct(d, i - 1, '\'') && phi_tight(d, i)) numctx = 1, ctx = -1;  /* 120-140'2/70's */
            if (phi_punct(d, i - 1, '-') && phi_tight(d, i) && phi_num(d, i - 2)) numctx = 1; /* 4-6/2-4 */
            int unit_after = b + 1 < d->n && !d->t[b + 1].nl && ((d->t[b + 1].lex & LX_UNIT) ||
                             phi_punct(d, b + 1, '+') || phi_punct(d, b + 1, '%') || phi_punct(d, b + 1, 'x') ||
                             phi_is(d, b + 1, "x") || phi_is(d, b + 1, "ratio"));
            if (sep == '/') {
                int fraction = na == 1 && nb == 1 && a < bv && (bv == 2 || bv == 3 || bv == 4);
                /* two parts: month/day only (a day/month without a year is too often a
                 * depth or ratio: "ETT at 21/2") */
                int md = na <= 2 && nb <= 2 && phi_month_day(a, bv);
                /* PS/PEEP pairs: 5/5, 10/5, 15/5, 20/5 are ventilator settings even after "on" */
                if (bv == 5 && a == 5) { ctx = -1; numctx = 1; } /* strength 5/5, PS 5/PEEP 5 */
                if (bv == 5 && (a == 8 || a == 10 || a == 12 || a == 15 || a == 20))
                    for (int k = i - 12; k <= b + 4; k++)
                        if (k >= 0 && k < d->n && (d->t[k].lex & LX_VENT)) { ctx = -1; numctx = 1; break; }
                int my = na <= 2 && a >= 1 && a <= 12 && (nb == 2 || (nb == 4 && bv >= 1900 && bv <= 2100));
                if ((md || my) && (ctx >= 0 || (!numctx && !unit_after && !fraction))) { last = b; src = ctx >= 0 ? "rule:date-after-context" : "rule:date-numeric"; }
            } else if (sep == '-' && ctx >= 0 && na <= 2 && nb <= 2 && phi_month_day(a, bv) && !unit_after &&
                       !(b + 1 < d->n && !d->t[b + 1].nl && phi_word(d, b + 1) && (d->t[b + 1].lex & LX_COMMON) && !(d->t[b + 1].lex & LX_STOP))) {
                last = b; src = "rule:date-after-context";
            }
        }
        if (last < 0) {
            if (na == 4 && sep == '-' && nb == 2 && three) {}
            continue;
        }
        phi_mark(d, i, last, PT_DATE, src, -1);
        i = last;
    }
}

/* dates written carelessly: glued to the word before ("on3/22/91"), with a mixed
 * separator ("6/18.97"), or a range of two dates in one chain ("4/12/4/15") */
static void phi_rule_odd_dates(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i) || (t->kind != TK_NUM && t->kind != TK_ALNUM)) continue;
        if (i > 0 && phi_tight(d, i) && d->t[i - 1].kind == TK_PUNCT && d->t[i - 1].ch != '(') continue;
        int a;
        if (t->kind == TK_ALNUM) { /* a date word glued to the month: on10, since3 */
            int n = t->nalpha;
            if (t->ndig > 2 || n + t->ndig != t->b1 - t->b0 || !isdigit((unsigned char)d->text[t->b0 + n])) continue;
            char low[16];
            if (n > 10) continue;
            for (int k = 0; k < n; k++) low[k] = (char)tolower((unsigned char)d->text[t->b0 + k]);
            low[n] = 0;
            if (strcmp(low, "on") && strcmp(low, "since") && strcmp(low, "from") && strcmp(low, "until") && strcmp(low, "dated") && strcmp(low, "dob")) continue;
            a = atoi(d->text + t->b0 + n);
        } else {
            if (t->ndig > 2) continue;
            a = t->val;
        }
        /* parts: a sep b sep c [sep e], all tight */
        int p[4], np = 0, k = i;
        char sep[3] = {0, 0, 0};
        p[np++] = i;
        while (np < 4 && k + 2 < d->n && d->t[k + 1].kind == TK_PUNCT && phi_tight(d, k + 1) && phi_tight(d, k + 2) &&
               (d->t[k + 1].ch == '/' || d->t[k + 1].ch == '.' || d->t[k + 1].ch == '-') && phi_num(d, k + 2) && d->t[k + 2].ndig <= 4) {
            sep[np - 1] = (char)d->t[k + 1].ch;
            p[np++] = k + 2;
            k += 2;
        }
        if (k + 1 < d->n && phi_tight(d, k + 1) && (d->t[k + 1].kind != TK_PUNCT || d->t[k + 1].ch == '/' || d->t[k + 1].ch == '%')) continue;
        int b = np > 1 ? d->t[p[1]].val : 0, c = np > 2 ? d->t[p[2]].val : 0;
        int ok = 0;
        if (t->kind == TK_ALNUM && np >= 2 && sep[0] == '/' && phi_month_day(a, b) && d->t[p[1]].ndig <= 2) ok = 1;
        else if (np == 3 && sep[0] == '/' && sep[1] == '.' && phi_month_day(a, b) && d->t[p[1]].ndig == 2 && d->t[p[2]].ndig == 2) ok = 1;
        else if (np == 4 && sep[0] == '/' && sep[1] == '/' && sep[2] == '/' && d->t[p[1]].ndig <= 2 && d->t[p[2]].ndig <= 2 &&
                 d->t[p[3]].ndig <= 2 && phi_month_day(a, b) && phi_month_day(c, d->t[p[3]].val) && (c > a || (c == a && d->t[p[3]].val > b)))
            ok = 1;
        if (!ok) continue;
        phi_mark(d, i, p[np - 1], PT_DATE, "rule:date-numeric", -1);
        i = p[np - 1];
    }
}

/* ages over 89: "98 yo", "aged 92", "92yoM", "ninety-two" is left to the lexicon-free
 * rules below (rare) */
static void phi_rule_ages(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i)) continue;
        if (t->kind == TK_ALNUM) {
            /* 92yo, 92y/o, 92yoM */
            const char *p = d->text + t->b0;
            int k = 0, v = 0;
            while (k < t->b1 - t->b0 && k < 4 && isdigit((unsigned char)p[k])) v = v * 10 + (p[k++] - '0');
            if (k >= 2 && k <= 3 && v >= 90 && v < 130 && (p[k] == 'y' || p[k] == 'Y')) phi_mark(d, i, i, PT_AGE, "rule:age-over-89", -1);
            continue;
        }
        if (t->kind != TK_NUM || t->val < 90 || t->val >= 130 || t->ndig > 3) continue;
        if (phi_punct(d, i - 1, '.') && phi_tight(d, i)) continue;
        if (phi_punct(d, i + 1, '.') && phi_num(d, i + 2) && phi_tight(d, i + 1)) continue;
        int j = i + 1;
        if (phi_punct(d, j, '-') && phi_tight(d, j)) j++;
        int unit = j < d->n && !d->t[j].nl && ((d->t[j].lex & LX_AGEUNIT) || phi_is(d, j, "y") || phi_is(d, j, "yoM") || phi_is(d, j, "yoF"));
        if (unit && phi_is(d, j, "year") && !(phi_punct(d, j + 1, '-') || phi_is(d, j + 1, "old") || phi_is(d, j + 2, "old"))) unit = 0;
        if (unit && (phi_is(d, j, "years") || phi_is(d, j, "yrs") || phi_is(d, j, "yr")) &&
            !(phi_is(d, j + 1, "old") || phi_punct(d, j + 1, '-') || phi_is(d, j + 2, "old"))) unit = 0;
        int before = 0;
        for (int k = i - 1; k >= 0 && k >= i - 2; k--) {
            if (phi_is(d, k, "age") || phi_is(d, k, "aged") || phi_is(d, k, "ages")) { before = 1; break; }
            if (!(d->t[k].kind == TK_PUNCT && (d->t[k].ch == ':' || d->t[k].ch == '='))) break;
        }
        /* "98 s/p hip fracture", "92 F with sepsis" at the start of a line or sentence */
        int start = i == 0 || d->t[i].nl || phi_punct(d, i - 1, '.') || phi_punct(d, i - 1, ':');
        int who = j < d->n && !d->t[j].nl && (phi_is(d, j, "s") || phi_is(d, j, "m") || phi_is(d, j, "f") || phi_is(d, j, "male") ||
                  phi_is(d, j, "female") || phi_is(d, j, "man") || phi_is(d, j, "woman") || phi_is(d, j, "gentleman") ||
                  phi_is(d, j, "lady") || phi_is(d, j, "yom") || phi_is(d, j, "yof"));
        if (who && phi_is(d, j, "s") && !(phi_punct(d, j + 1, '/') && phi_is(d, j + 2, "p"))) who = 0;
        if (unit || before || (start && who)) phi_mark(d, i, i, PT_AGE, "rule:age-over-89", -1);
    }
}

/* lone identifiers: 7+ digits, or letters with 5+ digits (not a dose) */
static void phi_rule_long_numbers(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i)) continue;
        if (t->kind == TK_NUM && t->ndig >= 7) {
            if ((phi_punct(d, i - 1, '.') || phi_punct(d, i - 1, ',')) && phi_tight(d, i) && phi_num(d, i - 2)) continue;
            if ((phi_punct(d, i + 1, '.') || phi_punct(d, i + 1, ',')) && phi_tight(d, i + 1) && phi_num(d, i + 2) && phi_tight(d, i + 2)) continue;
            phi_mark(d, i, i, PT_ID, "rule:long-number", -1);
        } else if (t->kind == TK_ALNUM && t->ndig >= 5) {
            int times = 0; /* 600x12, 8X650X50: ventilator settings */
            for (int b = t->b0 + 1; b + 1 < t->b1; b++)
                if ((d->text[b] == 'x' || d->text[b] == 'X') && isdigit((unsigned char)d->text[b - 1])) times = 1;
            if (times) continue;
            phi_mark(d, i, i, PT_ID, "rule:long-number", -1);
        }
    }
}

/* inside a past-history list: "PMH:", "hx", "history" within the last 40 tokens */
static int phi_in_history(const PhiDoc *d, int i) {
    for (int m = i - 1; m >= 0 && m >= i - 40; m--) {
        if (phi_is(d, m, "pmh") || phi_is(d, m, "pmhx") || phi_is(d, m, "hx") || phi_is(d, m, "psh") || phi_is(d, m, "history")) return 1;
        if (d->t[m].nl && m < i - 1 && phi_punct(d, m - 1, '.')) return 0;
    }
    return 0;
}

/* a list of events with years: a year marked in the last 8 tokens ("MI 81'. APPENDECTOMY 85'") */
static int phi_year_list(const PhiDoc *d, int i) {
    for (int k = i - 1; k >= 0 && k >= i - 8; k--)
        if (d->type[k] == PT_YEAR || (d->type[k] == PT_DATE && phi_num(d, k) && d->t[k].ndig == 2 && phi_punct(d, k + 1, '\''))) return 1;
    return 0;
}

/* years alone (extra): '92, 1980s, and 4-digit years that are not times or amounts */
static void phi_rule_years(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i)) continue;
        if (t->kind == TK_NUM && t->ndig == 2 && phi_punct(d, i - 1, '\'') && phi_tight(d, i) &&
            (i < 2 || d->t[i - 1].sp || d->t[i - 1].nl || d->t[i - 2].kind == TK_PUNCT)) {
            if (i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind != TK_PUNCT && !phi_is(d, i + 1, "s")) continue;
            phi_mark(d, i, i, PT_YEAR, "rule:year-apostrophe", -1);
            continue;
        }
        /* 74' (a year written with a trailing apostrophe) in a history: not "HOB 30'" */
        if (t->kind == TK_NUM && t->ndig == 2 && phi_punct(d, i + 1, '\'') && phi_tight(d, i + 1) && (t->sp || t->nl) &&
            (i + 2 >= d->n || !phi_tight(d, i + 2) || d->t[i + 2].kind == TK_PUNCT) &&
            (phi_in_history(d, i) || phi_year_list(d, i) || (phi_word(d, i - 1) && d->t[i - 1].shape == SH_UPPER && d->t[i - 1].nalpha >= 2 && d->t[i - 1].nalpha <= 5 &&
                                      !(d->t[i - 1].lex & (LX_NUMCTX | LX_VENT | LX_UNIT | LX_STOP))))) {
            phi_mark(d, i, i, PT_YEAR, "rule:year-apostrophe", -1);
            continue;
        }
        if (t->kind == TK_ALNUM && t->ndig == 4 && t->nalpha == 1 && (d->text[t->b1 - 1] == 's' || d->text[t->b1 - 1] == 'S')) {
            int v = atoi(d->text + t->b0);
            if (v >= 1900 && v <= 2099 && v % 10 == 0) phi_mark(d, i, i, PT_YEAR, "rule:year-decade", -1);
            continue;
        }
        if (t->kind == TK_NUM && t->ndig == 2 && !phi_tight(d, i) && !(i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind != TK_PUNCT &&
            !phi_punct(d, i + 1, ',')) && !(phi_punct(d, i + 1, '.') && phi_num(d, i + 2) && phi_tight(d, i + 2))) {
            /* after a procedure/diagnosis acronym (or "in" after one), in a history list */
            int k = i - 1;
            if (phi_is(d, k, "in") || phi_is(d, k, "and")) k--;
            int acro = k >= 0 && phi_word(d, k) && (d->t[k].shape == SH_UPPER || (!d->mixed && d->t[k].shape == SH_LOWER)) &&
                       d->t[k].nalpha >= 2 && d->t[k].nalpha <= 5 && d->t[k].b1 - d->t[k].b0 == d->t[k].nalpha &&
                       !(d->t[k].lex & (LX_NUMCTX | LX_VENT | LX_UNIT | LX_STOP));
            if (phi_is(d, i - 1, "and") && k >= 0 && d->type[k] == PT_YEAR) acro = 1; /* in 94 and 00 */
            int hx = phi_in_history(d, i);
            int after_ok = !(i + 1 < d->n && phi_tight(d, i + 1) && (phi_punct(d, i + 1, '%') || phi_punct(d, i + 1, '-') ||
                             phi_punct(d, i + 1, '/') || phi_punct(d, i + 1, '\'')));
            if (acro && hx && after_ok && (t->val >= 30 || t->val <= 25)) { phi_mark(d, i, i, PT_YEAR, "rule:year-in-history", -1); continue; }
        }
        if (t->kind != TK_NUM || t->ndig != 4 || t->val < 1900 || t->val > 2099) continue;
        if (i > 0 && phi_tight(d, i) && d->t[i - 1].kind == TK_PUNCT && d->t[i - 1].ch != '(' && d->t[i - 1].ch != '\'') continue;
        if (i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind == TK_PUNCT && d->t[i + 1].ch != ')' &&
            d->t[i + 1].ch != ',' && d->t[i + 1].ch != '.' && d->t[i + 1].ch != ';') continue;
        if ((phi_punct(d, i + 1, '.') || phi_punct(d, i + 1, ',')) && phi_tight(d, i + 1) && phi_num(d, i + 2) && phi_tight(d, i + 2)) continue;
        if (i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind != TK_PUNCT) continue;
        if (i + 1 < d->n && !d->t[i + 1].nl && (d->t[i + 1].lex & LX_UNIT)) continue;
        if (phi_ctx_before(d, i, LX_NUMCTX | LX_UNIT, 2) >= 0) continue;
        int mins = t->val % 100;
        if (mins < 60) { /* could be a time: 1930, 2000 */
            if (phi_ctx_before(d, i, LX_TIMECTX, 1) >= 0) continue;
            if (i > 0 && (phi_num(d, i - 1) || phi_punct(d, i - 1, '-') || phi_punct(d, i - 1, '@') || phi_punct(d, i - 1, '~'))) continue;
            if (i + 1 < d->n && !d->t[i + 1].nl && (phi_is(d, i + 1, "h") || phi_is(d, i + 1, "hr") || phi_is(d, i + 1, "hrs") ||
                phi_is(d, i + 1, "hours") || phi_is(d, i + 1, "pm") || phi_is(d, i + 1, "am") || phi_punct(d, i + 1, '-') ||
                phi_is(d, i + 1, "to") || phi_num(d, i + 1) || phi_is(d, i + 1, "and"))) continue;
            if (!(phi_is(d, i - 1, "in") || phi_is(d, i - 1, "since") || phi_is(d, i - 1, "year") || phi_is(d, i - 1, "of") ||
                  phi_is(d, i - 1, "circa") || phi_is(d, i - 1, "dob") || phi_is(d, i - 1, "born") || phi_is(d, i - 1, "birth") ||
                  phi_punct(d, i - 1, ',') || (phi_punct(d, i - 1, ':') && phi_ctx_before(d, i, LX_DATECTX, 2) >= 0) ||
                  phi_in_history(d, i))) continue;
        }
        int dob = phi_ctx_before(d, i, LX_DATECTX, 3);
        if (dob >= 0 && (phi_is(d, dob, "dob") || phi_is(d, dob, "birth") || phi_is(d, dob, "born") || phi_is(d, dob, "d.o.b")))
            phi_mark(d, i, i, PT_DATE, "rule:year-of-birth", dob);
        else phi_mark(d, i, i, PT_YEAR, "rule:year", -1);
    }
}

/* ZIP after a state, UK postcodes */
static int phi_us_state_abbr(const char *p, int n) {
    static const char *ab = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR ";
    if (n != 2) return 0;
    for (const char *q = ab; *q; q += 3) if (q[0] == p[0] && q[1] == p[1]) return 1;
    return 0;
}
static int phi_uk_outward(const char *p, int n) { /* A9, A9A, A99, AA9, AA9A, AA99 */
    if (n < 2 || n > 4 || !isupper((unsigned char)p[0])) return 0;
    int k = 1;
    if (isupper((unsigned char)p[1])) k = 2;
    if (k >= n || !isdigit((unsigned char)p[k])) return 0;
    k++;
    if (k == n) return 1;
    if (isdigit((unsigned char)p[k]) || isupper((unsigned char)p[k])) k++;
    return k == n;
}
static int phi_uk_inward(const char *p, int n) { /* 9AA */
    return n == 3 && isdigit((unsigned char)p[0]) && isupper((unsigned char)p[1]) && isupper((unsigned char)p[2]) &&
           !strchr("CIKMOV", p[1]) && !strchr("CIKMOV", p[2]);
}
/* an address line ends in a postcode ("West Smithfield, London EC1A 7BE",
 * "Guildford GU1 4PR"): the words before it on that line are the town and locality */
static void phi_address_line_before(PhiDoc *d, int z) {
    int a = z;
    while (a > 0 && !d->t[a].nl && z - a < 8) a--;
    if (!d->t[a].nl && a != 0) return; /* the line is long: prose, not an address */
    for (int k = a; k < z; k++) {
        if (d->t[k].kind == TK_PUNCT) { if (d->t[k].ch != ',' && d->t[k].ch != '.' && d->t[k].ch != '-' && d->t[k].ch != '\'') return; continue; }
        if (d->t[k].lex & (LX_STOP | LX_TITLE | LX_HEADER)) return;
        if (d->mixed && phi_word(d, k) && !phi_cap(&d->t[k]) && !(d->t[k].lex & LX_NAMEPART)) return;
    }
    for (int k = a; k < z; k++)
        if (d->t[k].kind != TK_PUNCT) phi_mark(d, k, k, (d->t[k].lex & LX_STATE) ? PT_LOCATION : PT_CITY, "rule:address-line", z);
}

static void phi_rule_zip(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i)) continue;
        if (t->kind == TK_NUM && t->ndig == 5) {
            int k = i - 1;
            if (phi_punct(d, k, ',')) k--;
            int st = k >= 0 && !d->t[i].nl && ((d->t[k].lex & LX_STATE) ||
                     (d->t[k].kind == TK_WORD && d->t[k].shape == SH_UPPER && phi_us_state_abbr(d->text + d->t[k].b0, d->t[k].b1 - d->t[k].b0)));
            int zipctx = phi_ctx_before(d, i, LX_HEADER, 2) >= 0 && (phi_is(d, phi_ctx_before(d, i, LX_HEADER, 2), "zip") || phi_is(d, phi_ctx_before(d, i, LX_HEADER, 2), "zipcode"));
            if (st || zipctx) {
                int end = i;
                if (phi_punct(d, i + 1, '-') && phi_tight(d, i + 1) && phi_num(d, i + 2) && d->t[i + 2].ndig == 4) end = i + 2;
                phi_mark(d, i, end, PT_ZIP, "rule:zip-after-state", st ? k : -1);
                phi_address_line_before(d, k >= 0 ? k : i);
                /* the city before "City, ST" */
                int c = k - 1;
                if (phi_punct(d, c, ',')) c--;
                for (int w = 0; w < 3 && c >= 0 && phi_word(d, c) && !d->t[c + 1].nl && !(d->t[c].lex & LX_STOP) &&
                                (!d->mixed || phi_cap(&d->t[c])); w++, c--) {
                    phi_mark(d, c, c, PT_CITY, "rule:city-before-state", k);
                    if (d->t[c].nl) break;
                }
            }
        } else if (t->kind == TK_ALNUM && t->b1 - t->b0 >= 5 && t->b1 - t->b0 <= 7 && phi_uk_inward(d->text + t->b1 - 3, 3) &&
                   phi_uk_outward(d->text + t->b0, t->b1 - t->b0 - 3) && !phi_tight(d, i) && !(i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind != TK_PUNCT)) {
            phi_mark(d, i, i, PT_ZIP, "rule:uk-postcode", -1); /* SW1A1AA, written without its space */
        } else if ((t->kind == TK_ALNUM || t->kind == TK_WORD) && phi_uk_outward(d->text + t->b0, t->b1 - t->b0) &&
                   i + 1 < d->n && d->t[i + 1].kind == TK_ALNUM && d->t[i + 1].sp && !d->t[i + 1].nl &&
                   phi_uk_inward(d->text + d->t[i + 1].b0, d->t[i + 1].b1 - d->t[i + 1].b0)) {
            phi_mark(d, i, i + 1, PT_ZIP, "rule:uk-postcode", -1);
            phi_address_line_before(d, i);
        }
    }
}

/* street addresses: "12 Oak Road", "221B Baker Street", "PO Box 17" */
/* "Dr" ends a street ("2231 Maple Ridge Dr, Dearborn") only at a comma or a line end */
static int phi_street_dr(const PhiDoc *d, int k) {
    if (!phi_is(d, k, "dr") || !d->mixed || d->t[k].shape != SH_TITLE) return 0;
    int nx = k + 1;
    if (phi_punct(d, nx, '.') && phi_tight(d, nx)) nx++;
    return nx >= d->n || d->t[nx].nl || phi_punct(d, nx, ',');
}
static void phi_rule_streets(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (phi_is(d, i, "box") && i >= 1 && (phi_is(d, i - 1, "po") || phi_is(d, i - 1, "o") || phi_punct(d, i - 1, '.')) && phi_num(d, i + 1)) {
            int a = i - 1;
            while (a > 0 && i - a < 4 && (phi_punct(d, a, '.') || phi_is(d, a, "p") || phi_is(d, a, "o"))) a--;
            if (!(phi_is(d, a, "p") || phi_is(d, a, "po") || phi_punct(d, a, '.'))) a++;
            phi_mark(d, a, i + 1, PT_STREET, "rule:po-box", -1);
            continue;
        }
        if (!(t->kind == TK_NUM || (t->kind == TK_ALNUM && t->ndig <= 4 && t->nalpha <= 2)) || t->ndig > 5 || !phi_free(d, i)) continue;
        if (t->kind == TK_NUM && t->val == 0) continue;
        int k = i + 1, words = 0;
        while (k < d->n && words < 4 && !d->t[k].nl && phi_word(d, k) && !(d->t[k].lex & (LX_STOP | LX_UNIT))) {
            if (((d->t[k].lex & LX_STREET) || phi_street_dr(d, k)) && words > 0) break;
            if (d->mixed && !phi_cap(&d->t[k])) break;
            words++;
            k++;
        }
        if (words == 0 || k >= d->n || d->t[k].nl || !((d->t[k].lex & LX_STREET) || phi_street_dr(d, k)) || !phi_word(d, k)) continue;
        if (d->mixed && !phi_cap(&d->t[k])) continue;
        /* "1 ST DEGREE AV BLOCK": short street words need mixed-case text */
        if (!d->mixed && d->t[k].nalpha <= 3) {
            /* ... unless the street word ends the phrase: "19 birch st. in frostburg" */
            int closed = phi_punct(d, k + 1, '.') || phi_punct(d, k + 1, ',') || k + 1 >= d->n || d->t[k + 1].nl;
            int clean = !phi_is(d, k, "sq"), named = 0; /* "8u reg insulin sq." */
            for (int m = i + 1; m < k; m++) {
                if ((d->t[m].lex & (LX_STREET | LX_NUMCTX | LX_UNIT)) || d->t[m].nalpha < 3) clean = 0;
                if ((d->t[m].lex & (LX_FIRST | LX_LAST | LX_CITY | LX_SITE)) || !d->t[m].lex) named = 1;
            }
            if (!closed || !clean || !named || words > 2 || d->t[i].kind != TK_NUM) continue;
        }
        int end = k;
        if (phi_punct(d, end + 1, '.') && phi_tight(d, end + 1)) end++;
        phi_mark(d, i, end, PT_STREET, "rule:street-address", k);
        i = end;
    }
}

/* an address written as a block: the short capitalised lines between a street line and
 * the postcode / ZIP line are its locality and town ("14 Orchard Close / Little Haddon /
 * Norwich / NR14 6QT") */
static void phi_rule_address_blocks(PhiDoc *d) {
    for (int z = 1; z < d->n; z++) {
        if (!d->t[z].nl || d->type[z] != PT_ZIP) continue;
        int line_end = z - 1, lines = 0;
        int starts[4], ends[4], found_street = 0;
        while (line_end >= 0 && lines < 4) {
            int a = line_end;
            while (a > 0 && !d->t[a].nl) a--;
            int street = 0, ok = 1, words = 0;
            for (int k = a; k <= line_end; k++) {
                if (d->type[k] == PT_STREET) street = 1;
                if (d->t[k].kind == TK_PUNCT) { if (d->t[k].ch != ',' && d->t[k].ch != '.' && d->t[k].ch != '-' && d->t[k].ch != '\'') ok = 0; continue; }
                if (!phi_word(d, k) || (d->t[k].lex & (LX_STOP | LX_TITLE | LX_HEADER)) || (d->mixed && !phi_cap(&d->t[k]))) ok = 0;
                words++;
            }
            if (street) { found_street = 1; break; }
            /* a blank line ends the block */
            int blank = 0;
            for (int b = a > 0 ? d->t[a - 1].b1 : 0, nlc = 0; b < d->t[a].b0; b++) if (d->text[b] == '\n' && ++nlc > 1) blank = 1;
            if (!ok || words == 0 || words > 4 || blank) break;
            starts[lines] = a;
            ends[lines] = line_end;
            lines++;
            line_end = a - 1;
        }
        if (!found_street) continue;
        for (int l = 0; l < lines; l++)
            for (int k = starts[l]; k <= ends[l]; k++)
                if (phi_word(d, k)) phi_mark(d, k, k, (d->t[k].lex & LX_STATE) ? PT_LOCATION : PT_CITY, "rule:address-line", z);
    }
}

/* ---- written dates ---- */

static int phi_day_token(const PhiDoc *d, int i) { /* 1..31, or 1st 2nd 3rd 21st */
    if (i < 0 || i >= d->n) return 0;
    const PhiTok *t = &d->t[i];
    if (t->kind == TK_NUM) return t->ndig <= 2 && t->val >= 1 && t->val <= 31;
    if (t->kind == TK_ALNUM && t->ndig <= 2 && t->nalpha == 2) {
        const char *p = d->text + t->b0 + t->ndig;
        int v = t->ndig == 2 ? (d->text[t->b0] - '0') * 10 + (d->text[t->b0 + 1] - '0') : d->text[t->b0] - '0';
        return v >= 1 && v <= 31 && isdigit((unsigned char)d->text[t->b0]) &&
               (!strncasecmp(p, "st", 2) || !strncasecmp(p, "nd", 2) || !strncasecmp(p, "rd", 2) || !strncasecmp(p, "th", 2));
    }
    return 0;
}
static int phi_year_token(const PhiDoc *d, int i) {
    return phi_num(d, i) && ((d->t[i].ndig == 4 && d->t[i].val >= 1800 && d->t[i].val <= 2100));
}

static void phi_rule_written_dates(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        uint64_t lx = d->t[i].lex;
        if (!phi_word(d, i) || !phi_free(d, i)) continue;
        if (lx & LX_MONTH) {
            int m = d->t[i].e ? d->t[i].e->aux_month : 0;
            int ambiguous = m >= 100 || phi_is(d, i, "may") || phi_is(d, i, "march");
            /* 13-Apr-2019, 13-Apr-19, Apr-2019 */
            int hy_b = phi_punct(d, i - 1, '-') && phi_tight(d, i) && phi_tight(d, i - 1) && phi_day_token(d, i - 2);
            int hy_a = phi_punct(d, i + 1, '-') && phi_tight(d, i + 1) && phi_tight(d, i + 2) && phi_num(d, i + 2) &&
                       (phi_year_token(d, i + 2) || (hy_b && d->t[i + 2].ndig == 2)) && !(i + 3 < d->n && phi_tight(d, i + 3) && !phi_punct(d, i + 3, ',') && !phi_punct(d, i + 3, '.') && !phi_punct(d, i + 3, ')'));
            int amb_word = phi_is(d, i, "may") || phi_is(d, i, "mar") || phi_is(d, i, "march");
            if ((hy_a || hy_b) && !(amb_word && !(hy_a && phi_year_token(d, i + 2)))) {
                phi_mark(d, hy_b ? i - 2 : i, hy_a ? i + 2 : i, PT_DATE, "rule:date-written", -1);
                continue;
            }
            int j = i + 1;
            if (phi_punct(d, j, '.') && phi_tight(d, j) && m >= 100) j++;
            int end = -1, start = i;
            if (j < d->n && !d->t[j].nl && phi_day_token(d, j) && !(j + 1 < d->n && phi_tight(d, j + 1) && phi_punct(d, j + 1, '.') && phi_num(d, j + 2))) {
                end = j;
                int y = j + 1;
                if (phi_punct(d, y, ',')) y++;
                if (phi_year_token(d, y) && !d->t[y].nl) end = y;
                else if (phi_num(d, y) && d->t[y].ndig == 2 && phi_punct(d, y - 1, ',') && !d->t[y].nl &&
                         !(y + 1 < d->n && !d->t[y + 1].nl && (d->t[y + 1].lex & LX_UNIT))) end = y;
                else if (phi_punct(d, y, '\'') && phi_num(d, y + 1) && d->t[y + 1].ndig == 2) end = y + 1;
            } else if (j < d->n && !d->t[j].nl && phi_year_token(d, j)) {
                end = j;
            } else if (phi_is(d, j, "of") && phi_year_token(d, j + 1)) {
                phi_mark(d, j + 1, j + 1, PT_DATE, "rule:date-written", -1);
                end = i;
            }
            /* day before: 12 March, 3rd of July, the 1st of May */
            int b = i - 1;
            if (phi_is(d, b, "of")) b--;
            if (b >= 0 && !d->t[i].nl && phi_day_token(d, b) && !(b > 0 && phi_tight(d, b) && (d->t[b - 1].ch == '/' || d->t[b - 1].ch == '.' || d->t[b - 1].kind != TK_PUNCT))) {
                start = b;
                /* 1->2 Nov: a range of days */
                if (b >= 2 && phi_tight(d, b) && d->t[b - 1].kind == TK_PUNCT && phi_day_token(d, b - 2)) start = b - 2;
                else if (b >= 3 && phi_tight(d, b) && phi_punct(d, b - 1, '>') && phi_punct(d, b - 2, '-') && phi_day_token(d, b - 3)) start = b - 3;
                if (end < 0) end = i;
                else if (end == i + 1 || end == i + 2) {}
                if (end == i) { /* 21 Apr, 21 / 2 nov, 96 */
                    int y = i + 1;
                    if (phi_punct(d, y, ',')) y++;
                    if (phi_year_token(d, y) && !d->t[y].nl) end = y;
                    else if (phi_num(d, y) && d->t[y].ndig == 2 && phi_punct(d, y - 1, ',') && !d->t[y].nl &&
                             !(y + 1 < d->n && !d->t[y + 1].nl && (d->t[y + 1].lex & LX_UNIT))) end = y;
                }
            }
            if (end < 0 && m >= 100 && phi_punct(d, i + 1, '.') && phi_tight(d, i + 1) && d->t[i].nalpha >= 3 &&
                (phi_is(d, i - 1, "in") || phi_is(d, i - 1, "since") || phi_is(d, i - 1, "during") || phi_is(d, i - 1, "until") ||
                 phi_is(d, i - 1, "early") || phi_is(d, i - 1, "late") || phi_is(d, i - 1, "mid")) && !phi_is(d, i, "mar")) {
                end = i;
                ambiguous = 0; /* "in sept.": the preposition and the '.' make it a month */
            }
            if (end < 0) {
                if (ambiguous) continue;
                if (d->mixed && !phi_cap(&d->t[i])) continue; /* "august" company */
                end = i;
            }
            if (end < 0 || (ambiguous && d->mixed && !phi_cap(&d->t[i]) && d->t[i].shape != SH_UPPER)) continue;
            phi_mark(d, start, end, PT_DATE, "rule:date-written", -1);
            continue;
        }
        if (lx & LX_WEEKDAY) {
            /* a weekday is masked as part of a date ("Friday 9/17", "Tue, 3 March"); alone
             * ("plan trach Monday") it names no date and is left, as the deid gold does */
            int abbr = d->t[i].e && (d->t[i].e->aux_weak & 1);
            int j = i + 1;
            if (phi_punct(d, j, '.') || phi_punct(d, j, ',')) j++;
            int dated = j < d->n && !d->t[j].nl && ((phi_num(d, j) && phi_punct(d, j + 1, '/') && phi_num(d, j + 2)) ||
                        (phi_lex(d, j) & LX_MONTH) || phi_day_token(d, j) || phi_is(d, j, "the"));
            if (!dated) continue;
            if (abbr && d->mixed && !phi_cap(&d->t[i])) continue;
            phi_mark(d, i, i, PT_DATE, "rule:weekday", -1);
            continue;
        }
        if (lx & LX_HOLIDAY) { phi_mark(d, i, i, PT_DATE, "rule:holiday", -1); continue; }
        /* "on the 11th", "it's the 3rd." : an ordinal day standing alone */
        if (phi_is(d, i, "the") && phi_day_token(d, i + 1) && d->t[i + 1].kind == TK_ALNUM && !d->t[i + 1].nl &&
            (i + 2 >= d->n || d->t[i + 2].nl || d->t[i + 2].kind == TK_PUNCT || phi_is(d, i + 2, "of"))) {
            if (!phi_is(d, i + 2, "of") || (phi_lex(d, i + 3) & LX_MONTH)) phi_mark(d, i + 1, i + 1, PT_DATE, "rule:date-written", -1);
        }
        /* Memorial Day, New Year's Eve, Valentine's Day */
        if ((phi_is(d, i + 1, "day") || phi_is(d, i + 1, "eve")) && !d->t[i + 1].nl &&
            (phi_is(d, i, "memorial") || phi_is(d, i, "labor") || phi_is(d, i, "labour") || phi_is(d, i, "independence") ||
             phi_is(d, i, "veterans") || phi_is(d, i, "boxing") || phi_is(d, i, "valentine's") || phi_is(d, i, "mother's") ||
             phi_is(d, i, "father's") || phi_is(d, i, "presidents") || phi_is(d, i, "columbus") || phi_is(d, i, "year's") ||
             phi_is(d, i, "christmas") || phi_is(d, i, "armistice") || phi_is(d, i, "remembrance"))) {
            int a = phi_is(d, i, "year's") && phi_is(d, i - 1, "new") ? i - 1 : i;
            phi_mark(d, a, i + 1, PT_DATE, "rule:holiday", -1);
        }
    }
}

/* ---- names ---- */

/* Dr Smith, Mrs. O'Rourke, Prof. J. van der Berg; weak titles (Mr, Ms) only before a
 * word that looks like a name on its own. */
static void phi_rule_titles(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!(d->t[i].lex & LX_TITLE) || !phi_word(d, i)) continue;
        int plural = phi_is(d, i, "drs") || phi_is(d, i, "dr's") || phi_is(d, i, "drs'");
        if (!plural && d->t[i].b1 - d->t[i].b0 > 2 && d->text[d->t[i].b1 - 2] == '\'') continue; /* doctor's */
        int weak = d->t[i].e && d->t[i].e->aux_title == 2;
        int doctor = phi_is(d, i, "dr") || plural || phi_is(d, i, "doctor") || phi_is(d, i, "prof") || phi_is(d, i, "professor");
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (j >= d->n || d->t[j].nl) continue;
        /* "doctor" and "professor" are also nouns: only a name-like word after them */
        /* "Mr Baker", "Ms. Marsh": a weak title written as a title (not MR, MS) before a
         * capitalised word in mixed text names that word, even an ordinary one */
        int weak_ok = weak && d->mixed && d->t[i].shape == SH_TITLE && phi_word(d, j) && d->t[j].shape == SH_TITLE;
        int lenient = (weak && !weak_ok) || phi_is(d, i, "doctor") || phi_is(d, i, "professor") ? 0 : 1;
        if (lenient == 1 && phi_word(d, j) && !phi_initial(d, j) && !(d->t[j].lex & (LX_STOP | LX_UNIT | LX_PLACESTOP | LX_ROLE | LX_MONTH | LX_WEEKDAY)) &&
            !phi_is(d, j, "orders") && !phi_is(d, j, "order") && !phi_is(d, j, "note") && !phi_is(d, j, "office") &&
            !phi_is(d, j, "visit") && !phi_is(d, j, "appointment") && !phi_is(d, j, "consult") && !phi_is(d, j, "notes") &&
            (d->mixed ? d->t[j].shape == SH_TITLE : 1)) {
            phi_mark_name(d, j, doctor ? PT_DOCTOR : PT_NAME, "rule:title", i, 0); /* Dr. Art White, dr small */
            int k2 = j + 1;
            if (d->mixed && k2 < d->n && !d->t[k2].nl && phi_word(d, k2) && d->t[k2].shape == SH_TITLE &&
                (d->t[k2].lex & (LX_FIRST | LX_LAST)) && !(d->t[k2].lex & LX_STOP)) phi_mark_name(d, k2++, doctor ? PT_DOCTOR : PT_NAME, "rule:title", i, 0);
            /* "dr. art white" in lower case: a first name, then a listed surname */
            else if (!d->mixed && k2 < d->n && !d->t[k2].nl && phi_word(d, k2) && (d->t[k2].lex & LX_LAST) &&
                     ((d->t[j].lex & LX_FIRST) || k2 + 1 >= d->n || d->t[k2 + 1].nl || phi_punct(d, k2 + 1, '.') || phi_punct(d, k2 + 1, ',')) &&
                     !(d->t[k2].lex & (LX_STOP | LX_UNIT | LX_PLACESTOP | LX_EPONYM | LX_ROLE | LX_CRED | LX_MONTH | LX_WEEKDAY | LX_NUMCTX)) &&
                     !(k2 + 1 < d->n && !d->t[k2 + 1].nl && (d->t[k2 + 1].lex & LX_EPONYM))) phi_mark_name(d, k2++, doctor ? PT_DOCTOR : PT_NAME, "rule:title", i, 0);
            phi_take_name(d, k2, 3, 0, doctor ? PT_DOCTOR : PT_NAME, "rule:title", i);
        }
        if (phi_initial(d, j) && !(weak && (phi_lex(d, j) & LX_STOP) && d->t[j].shape == SH_LOWER)) lenient = 2;
        int type = doctor ? PT_DOCTOR : PT_NAME;
        int k = phi_take_name(d, j, 4, lenient, type, "rule:title", i);
        /* "Drs Okonkwo and Lindqvist", "Dr. A, Dr. B": more names joined by and / & / , */
        while (k > j && plural && k + 1 < d->n && !d->t[k].nl &&
               (phi_is(d, k, "and") || phi_punct(d, k, '&') || phi_punct(d, k, ','))) {
            int m = phi_take_name(d, k + 1, 3, 1, type, "rule:title", i);
            if (m == k + 1) break;
            k = m;
        }
    }
}

/* a dotted credential ending at token i: R.N., M.D. -> index of its first letter */
static int phi_dotted_cred(const PhiDoc *d, int i) {
    /* i is the last letter (before an optional '.') */
    if (!phi_initial(d, i) || !phi_punct(d, i - 1, '.') || !phi_initial(d, i - 2) || !phi_tight(d, i) || !phi_tight(d, i - 1)) return -1;
    char a = (char)tolower((unsigned char)d->text[d->t[i - 2].b0]), b = (char)tolower((unsigned char)d->text[d->t[i].b0]);
    if ((a == 'r' && b == 'n') || (a == 'm' && b == 'd') || (a == 'n' && b == 'p') || (a == 'p' && b == 'a')) return i - 2;
    return -1;
}

/* signature: "Jean Pemberton, RN", "EDWARD C. OYELARAN, RRT", "q. thistlewood rrt", "Mary X, R.N." */
static void phi_rule_credentials(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        int start = i, weak = 0;
        if ((d->t[i].lex & LX_CRED) && phi_word(d, i)) {
            weak = d->t[i].e && (d->t[i].e->aux_weak & 2);
            if (d->mixed && d->t[i].shape == SH_LOWER && weak) continue;
        } else if ((start = phi_dotted_cred(d, i)) < 0) continue;
        if (d->t[start].nl) continue;
        /* a weak credential (PA, PT, DO) must end the line or be followed by '/' or ',' */
        if (weak) {
            int nx = i + 1;
            if (!(nx >= d->n || d->t[nx].nl || phi_punct(d, nx, ','))) continue;
        }
        int k = start - 1;
        if (phi_punct(d, k, ',') || (phi_punct(d, k, '-') && !phi_tight(d, k))) k--;
        if (k < 0 || d->t[k + 1].nl) continue;
        /* walk back over the name: words, initials, hyphenated parts, on this line */
        int first = -1, words = 0, real = 0;
        while (k >= 0 && words < 4) {
            if (phi_punct(d, k, '.') && k > 0 && phi_initial(d, k - 1) && phi_tight(d, k)) { k--; continue; }
            if (phi_punct(d, k, '-') && phi_tight(d, k) && words && k > 0 && phi_word(d, k - 1) && phi_tight(d, k + 1)) { k--; continue; }
            if (phi_initial(d, k)) { first = k; words++; if (d->t[k].nl) break; k--; continue; }
            if (!phi_namelike(d, k, 1)) break;
            if ((d->t[k].lex & LX_COMMON) && !(d->t[k].lex & (LX_FIRST | LX_LAST)) && !(d->mixed && phi_cap(&d->t[k]))) break;
            if (weak && !(d->t[k].lex & (LX_FIRST | LX_LAST | LX_SITE)) && !(d->mixed && phi_cap(&d->t[k]))) break;
            first = k; words++; real++;
            if (d->t[k].nl) break;
            k--;
        }
        if (!real || first < 0) continue;
        for (int m = first; m < start; m++) {
            if (phi_punct(d, m, '-') && m > first) { phi_mark(d, m, m, PT_DOCTOR, "rule:credential", i); continue; }
            if (phi_word(d, m) && (phi_initial(d, m) || phi_namelike(d, m, 1) || (d->t[m].lex & (LX_FIRST | LX_LAST))))
                phi_mark_name(d, m, PT_DOCTOR, "rule:credential", i, !phi_initial(d, m));
        }
    }
}

/* the word in a relative's slot ("wife ___") is a name: the name lists say so (even for
 * a common word: "son Bill", "wife Rose"), or a capital in mixed text, or an initial */
static int phi_relative_slot(const PhiDoc *d, int j) {
    if (j >= d->n || d->t[j].nl || !phi_word(d, j)) return 0;
    uint64_t lx = d->t[j].lex;
    if (d->mixed && d->t[j].shape == SH_TITLE && d->t[j].nalpha >= 2 && phi_punct(d, j - 1, ',') &&
        !(lx & (LX_CRED | LX_ROLE | LX_TITLE | LX_RELATION | LX_MONTH | LX_WEEKDAY | LX_UNIT)) &&
        (phi_punct(d, j + 1, ',') || phi_punct(d, j + 1, ')'))) return 2; /* "Son, Ned, was": a capital between commas */
    if (lx & (LX_STOP | LX_RELATION | LX_TITLE | LX_ROLE | LX_MONTH | LX_WEEKDAY | LX_UNIT | LX_PLACESTOP)) return 0;
    if (phi_initial(d, j)) return d->t[j].shape == SH_UPPER && phi_punct(d, j + 1, '.');
    if (!(lx & LX_COMMON) && d->t[j].nalpha >= 3 &&
        (j + 1 >= d->n || d->t[j + 1].nl || phi_punct(d, j + 1, '.') || phi_punct(d, j + 1, ',') || phi_punct(d, j + 1, ')'))) return 1;
    if (lx & LX_SITE) return 1;
    if ((lx & (LX_FIRST | LX_LAST)) && (!(lx & LX_COMMON) || !d->mixed || phi_cap(&d->t[j]))) return 1;
    return d->mixed && phi_cap(&d->t[j]) && !(lx & LX_COMMON);
}

/* relatives: "wife Deborah", "son, Ned,", "daughter: Lisa Threlkeld", "Sons Alvar, Morris
 * and Roger", "dtr-in-law Greta", "Hollis P. (son)" */
static void phi_rule_relatives(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!(d->t[i].lex & LX_RELATION) || !phi_word(d, i)) continue;
        int possessive = d->t[i].b1 - d->t[i].b0 > 2 && d->text[d->t[i].b1 - 1] == 's' && d->text[d->t[i].b1 - 2] == '\'';
        int j = i + 1;
        /* -in-law */
        if (phi_punct(d, j, '-') && phi_is(d, j + 1, "in") && phi_punct(d, j + 2, '-') && phi_is(d, j + 3, "law")) j += 4;
        int j0 = j - 1;
        while (j < d->n && !d->t[j].nl && j - j0 <= 4 &&
               (phi_punct(d, j, ',') || phi_punct(d, j, ':') || phi_punct(d, j, '-') || phi_punct(d, j, '(') ||
                phi_punct(d, j, ')') || phi_punct(d, j, '?') || phi_is(d, j, "named") || phi_is(d, j, "is") || phi_is(d, j, "name")))
            j++;
        if ((phi_is(d, i, "children") || phi_is(d, i, "kids")) && !(phi_punct(d, i + 1, ':') || phi_punct(d, i + 1, '-') || phi_punct(d, i + 1, '(')))
            continue; /* "children: mike, sue and tom", not "children younger than 5" */
        int slot = possessive ? 0 : phi_relative_slot(d, j);
        if (slot == 2 && !phi_namelike(d, j, 1)) phi_mark_name(d, j, PT_RELATIVE, "rule:relative", i, 0);
        else if (slot) {
            int k = phi_take_name(d, j, 3, 2, PT_RELATIVE, "rule:relative", i);
            while (k > j && k + 1 < d->n && !d->t[k].nl && (phi_is(d, k, "and") || phi_punct(d, k, '&') || phi_punct(d, k, ',')) &&
                   phi_relative_slot(d, k + 1)) {
                int m = phi_take_name(d, k + 1, 3, 2, PT_RELATIVE, "rule:relative", i);
                if (m == k + 1) break;
                k = m;
            }
        }
        /* name before "(son)" or ", son" */
        int b = i - 1;
        if (phi_punct(d, b, '(') || phi_punct(d, b, ',') || phi_punct(d, b, '-')) b--;
        else continue;
        if (b < 0 || d->t[b + 1].nl) continue;
        int words = 0;
        while (b >= 0 && words < 3 && phi_namelike(d, b, 0)) {
            phi_mark_name(d, b, PT_RELATIVE, "rule:relative", i, 1);
            words++;
            if (d->t[b].nl) break;
            b--;
        }
    }
}

/* clinicians after a role: "NP Carol", "attending: Jones"; after a weak role word
 * ("per", "by", "paged") only a word the name lists hold */
static void phi_rule_roles(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!(d->t[i].lex & (LX_ROLE | LX_ROLEWEAK)) || !phi_word(d, i)) continue;
        if (d->t[i].lex & LX_TITLE) continue;
        if (d->mixed && d->t[i].shape == SH_LOWER && (phi_is(d, i, "pa") || phi_is(d, i, "np") || phi_is(d, i, "rn"))) continue;
        int j = i + 1;
        if (phi_punct(d, j, ':') || phi_punct(d, j, ',') || phi_punct(d, j, '-')) j++;
        if (j >= d->n || d->t[j].nl || !phi_word(d, j)) continue;
        if (d->t[j].lex & (LX_TITLE | LX_ROLE)) continue; /* "seen by Dr X": the title rule */
        if (j + 1 < d->n && !d->t[j + 1].nl && (d->t[j + 1].lex & LX_EPONYM)) continue; /* "with Cushing syndrome" */
        uint64_t lx = d->t[j].lex;
        int listed = (lx & (LX_FIRST | LX_LAST | LX_SITE)) && !(lx & (LX_COMMON | LX_STOP));
        /* "with martin quillfeather": a common first name with a surname after it */
        uint64_t l2 = phi_lex(d, j + 1);
        int pair = (lx & LX_FIRST) && !(lx & LX_STOP) && phi_word(d, j + 1) && !d->t[j + 1].nl &&
                   (((l2 & LX_LAST) && !(l2 & LX_COMMON)) || (d->mixed && d->t[j].shape == SH_TITLE && d->t[j + 1].shape == SH_TITLE && !(l2 & (LX_COMMON | LX_STOP))));
        /* "with" is everywhere: a name after it needs a capital in mixed text, or a surname */
        /* (in ALL CAPS / lower-case notes: a listed first name, "spoke with rosalind") */
        if ((phi_is(d, i, "with") || phi_is(d, i, "w/")) && !pair && !(d->mixed && d->t[j].shape == SH_TITLE) &&
            !(!d->mixed && listed && (lx & LX_FIRST) && !(lx & LX_ENGLISH) && d->t[j].nalpha >= 3)) continue;
        if (!(d->t[i].lex & LX_ROLE) && !listed && !pair) continue;
        if (pair && !listed) phi_mark_name(d, j, PT_DOCTOR, "rule:clinician-role", i, 0);
        phi_take_name(d, pair && !listed ? j + 1 : j, 3, pair && !listed ? 1 : 0, PT_DOCTOR, "rule:clinician-role", i);
    }
}

/* a department after "from" says the words before it are a clinician's name: "talked
 * with gwendolyn from case management", "Mary T. Quill from speech and swallow" */
static int phi_department(const PhiDoc *d, int i) {
    static const char *const dept[] = {"case", "speech", "pt", "ot", "social", "sw", "nutrition", "pharmacy", "rehab",
        "hospice", "cardiology", "psych", "psychiatry", "palliative", "pastoral", "chaplaincy", "respiratory", "rt",
        "physical", "occupational", "dietary", "wound", "ostomy", "iv", "picc", "transplant", "renal", "neurology",
        "gi", "ep", "admitting", "billing", "interpreter", "interpreting", "security", "radiology", "lab", "blood",
        "vna", "infection", "ethics", "nephrology", "oncology", "surgery", "anesthesia", "medicine", NULL};
    for (int k = 0; dept[k]; k++) if (phi_is(d, i, dept[k])) return 1;
    return 0;
}
static void phi_rule_name_from_department(PhiDoc *d) {
    for (int i = 1; i + 1 < d->n; i++) {
        if (!phi_is(d, i, "from") || d->t[i + 1].nl || !phi_department(d, i + 1)) continue;
        int k = i - 1, words = 0, listed = 0, first = -1;
        while (k >= 0 && words < 3 && phi_word(d, k) && phi_free(d, k) && !d->t[k + 1].nl) {
            uint64_t lx = d->t[k].lex;
            if (lx & (LX_STOP | LX_RELATION | LX_TITLE | LX_ROLE | LX_ROLEWEAK | LX_PLACESTOP | LX_HEADER | LX_MONTH | LX_WEEKDAY | LX_UNIT | LX_MOVE)) break;
            int name = (lx & (LX_FIRST | LX_LAST | LX_SITE)) && (!(lx & LX_COMMON) || (lx & LX_FIRST));
            int unknown = !(lx & LX_COMMON) && d->t[k].nalpha >= 3;
            if (!name && !unknown && !phi_initial(d, k)) break;
            if ((lx & (LX_FIRST | LX_LAST | LX_SITE)) && !(lx & LX_COMMON)) listed++;
            first = k;
            words++;
            if (d->t[k].nl) break;
            k--;
        }
        if (!listed || first < 0) continue;
        for (int m = first; m < i; m++) phi_mark_name(d, m, PT_DOCTOR, "rule:name-from-department", i + 1, 1);
    }
}

/* "is a (very pleasant) 56-year-old", "is an 86 yo": the subject before it is the patient */
static int phi_age_phrase(const PhiDoc *d, int k) {
    if (!(phi_is(d, k, "is") || phi_is(d, k, "was")) || !(phi_is(d, k + 1, "a") || phi_is(d, k + 1, "an"))) return 0;
    int j = k + 2;
    for (int adj = 0; adj < 3 && phi_word(d, j) && !(d->t[j].lex & LX_STOP); adj++) j++; /* very pleasant, delightful */
    if (d->t[j < d->n ? j : d->n - 1].nl) return 0;
    if (j < d->n && d->t[j].kind == TK_ALNUM) { /* 56yo, 56y/o */
        const char *p = d->text + d->t[j].b0;
        return isdigit((unsigned char)p[0]) && d->t[j].ndig <= 3 && (p[d->t[j].ndig] == 'y' || p[d->t[j].ndig] == 'Y');
    }
    if (!phi_num(d, j) || d->t[j].ndig > 3) return 0;
    j++;
    if (phi_punct(d, j, '-')) j++;
    return j < d->n && !d->t[j].nl && ((d->t[j].lex & LX_AGEUNIT) || phi_is(d, j, "y") || phi_is(d, j, "month") || phi_is(d, j, "months"));
}
static void phi_rule_age_subject(PhiDoc *d) {
    for (int k = 1; k + 3 < d->n; k++) {
        if (!phi_age_phrase(d, k)) continue;
        int a = k - 1, words = 0, listed = 0;
        while (a >= 0 && words < 3 && phi_word(d, a) && !d->t[a + 1].nl) {
            uint64_t lx = d->t[a].lex;
            if (lx & (LX_STOP | LX_TITLE | LX_ROLE | LX_RELATION | LX_GENERIC | LX_HEADER | LX_MONTH | LX_WEEKDAY | LX_UNIT)) break;
            if (d->mixed ? !phi_cap(&d->t[a]) : ((lx & LX_COMMON) || !phi_namelike(d, a, 1))) break;
            if ((lx & (LX_FIRST | LX_LAST | LX_SITE)) || !(lx & LX_COMMON)) listed++;
            words++;
            if (d->t[a].nl) { a--; break; }
            a--;
        }
        int first = a + 1;
        /* the subject starts the sentence (or follows a title: Mr Ward is a ...) */
        if (!words || !listed || !(phi_sentence_start(d, first) || (d->t[first - 1].lex & LX_TITLE) ||
                                   (phi_punct(d, first - 1, '.') && (phi_lex(d, first - 2) & LX_TITLE)))) continue;
        for (int m = first; m < k; m++) phi_mark_name(d, m, PT_PATIENT, "rule:age-subject", k + 1, !(d->t[m].lex & LX_COMMON));
    }
}

/* a listed first name or surname after a hand-over or naming phrase: "left message for
 * lisa", "report given to maryanne", "her name is dolores", "spoke to ron" */
static void phi_rule_name_cues(PhiDoc *d) {
    static const char *const cue[][3] = {{"message", "for", NULL}, {"msg", "for", NULL}, {"message", "with", NULL},
        {"report", "to", NULL}, {"given", "to", NULL}, {"handed", "to", NULL}, {"handoff", "to", NULL},
        {"spoke", "to", NULL}, {"talked", "to", NULL}, {"name", "is", NULL}, {"named", NULL, NULL}, {"reported", "to", NULL},
        {"relieved", "by", NULL}, {"covered", "by", NULL}, {"visited", "by", NULL}};
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_starts_in(d, i, "mrghstnvc")) continue;
        int j = -1;
        for (size_t c = 0; c < sizeof cue / sizeof cue[0] && j < 0; c++) {
            if (!phi_is(d, i, cue[c][0])) continue;
            if (!cue[c][1]) j = i + 1;
            else if (phi_is(d, i + 1, cue[c][1]) && !d->t[i + 1].nl) j = i + 2;
        }
        if (j < 0 || j >= d->n || d->t[j].nl || !phi_word(d, j) || !phi_free(d, j)) continue;
        /* "reported to d. phyllo": an initial, its '.', and a word that is no ordinary one */
        if (phi_initial(d, j) && phi_punct(d, j + 1, '.') && phi_tight(d, j + 1) && phi_word(d, j + 2) && !d->t[j + 2].nl &&
            !(d->t[j + 2].lex & (LX_COMMON | LX_STOP | LX_ENGLISH)) && d->t[j + 2].nalpha >= 3 && (!d->mixed || phi_cap(&d->t[j + 2]))) {
            phi_mark_name(d, j, PT_NAME, "rule:name-cue", i, 0);
            phi_mark_name(d, j + 2, PT_NAME, "rule:name-cue", i, 1);
            continue;
        }
        uint64_t lx = d->t[j].lex;
        if (!(lx & (LX_FIRST | LX_LAST | LX_SITE)) || (lx & (LX_STOP | LX_COMMON | LX_ENGLISH | LX_TITLE | LX_ROLE | LX_RELATION | LX_MONTH | LX_WEEKDAY)) ||
            d->t[j].nalpha < 3 || (d->mixed && !phi_cap(&d->t[j]))) continue;
        if (j + 1 < d->n && !d->t[j + 1].nl && (d->t[j + 1].lex & LX_EPONYM)) continue;
        phi_take_name(d, j, 3, 1, PT_NAME, "rule:name-cue", i);
    }
}

/* "J. Whitfield", "S. OKONKWO": a capital initial and a listed name */
static void phi_rule_initial_name(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        if (!phi_initial(d, i) || (d->t[i].shape != SH_UPPER && d->mixed) || !phi_punct(d, i + 1, '.') || !phi_tight(d, i + 1)) continue;
        if (i > 0 && phi_tight(d, i) && d->t[i - 1].kind != TK_PUNCT) continue;
        if (i > 0 && phi_punct(d, i - 1, '.') && phi_tight(d, i)) continue; /* R.N., U.S. */
        int j = i + 2;
        if (d->t[j].nl || !phi_word(d, j)) continue;
        uint64_t lx = d->t[j].lex;
        int listed = (lx & (LX_FIRST | LX_LAST | LX_SITE)) && !(lx & (LX_COMMON | LX_STOP));
        if (!listed && !(d->mixed && phi_cap(&d->t[j]) && !(lx & (LX_COMMON | LX_STOP)))) continue;
        if (!phi_free(d, j)) continue;
        phi_mark_name(d, i, PT_NAME, "rule:initial-name", -1, 0);
        phi_take_name(d, j, 2, 0, PT_NAME, "rule:initial-name", -1);
    }
}

/* clinicians told about something: "Maribel Ostrava aware", "Pemberton and Kettleby notified" */
static void phi_rule_aware(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!(phi_is(d, i, "aware") || phi_is(d, i, "notified") || phi_is(d, i, "paged") || phi_is(d, i, "informed") ||
              phi_is(d, i, "updated") || phi_is(d, i, "called"))) continue;
        int k = i - 1, words = 0;
        if (phi_is(d, k, "made") || phi_is(d, k, "was") || phi_is(d, k, "is") || phi_is(d, k, "were")) k--;
        while (k >= 0 && words < 4 && !d->t[k + 1].nl) {
            if ((phi_is(d, k, "and") || phi_punct(d, k, '&') || phi_punct(d, k, ',')) && words) { k--; continue; }
            if (!phi_word(d, k)) break;
            uint64_t lx = d->t[k].lex;
            int listed = (lx & (LX_FIRST | LX_LAST | LX_SITE)) && !(lx & (LX_COMMON | LX_STOP | LX_TITLE | LX_ROLE | LX_CRED | LX_RELATION));
            if (!listed && !(d->mixed && phi_cap(&d->t[k]) && !(lx & (LX_COMMON | LX_STOP)))) break;
            if (phi_free(d, k)) phi_mark_name(d, k, PT_DOCTOR, "rule:told-name", i, 1);
            words++;
            k--;
        }
    }
}

/* the last line of a note, alone: a signature ("Susan", "J. Smith") */
static void phi_rule_signature_line(PhiDoc *d) {
    if (d->n == 0) return;
    int last = d->n - 1;
    while (last >= 0 && d->t[last].kind == TK_PUNCT) last--;
    if (last < 0) return;
    int first = last;
    while (first > 0 && !d->t[first].nl && !(phi_punct(d, first - 1, '.') && !phi_initial(d, first - 2) && first < last + 1 && d->t[first].sp)) first--;
    if (!d->t[first].nl && first != 0 && !phi_punct(d, first - 1, '.')) return;
    int words = 0, listed = 0, firstname = 0, unknown = 0;
    for (int k = first; k <= last; k++) {
        if (d->t[k].kind == TK_PUNCT) { if (d->t[k].ch == '.' || d->t[k].ch == ',' || d->t[k].ch == '-') continue; return; }
        if (!phi_word(d, k)) return;
        if (phi_initial(d, k)) { words++; continue; }
        uint64_t lx = d->t[k].lex;
        if (lx & (LX_CRED)) continue;
        if (!phi_namelike(d, k, 1) || (lx & LX_STOP)) return;
        if ((lx & LX_COMMON) && !(lx & (LX_FIRST | LX_LAST))) return;
        if (((lx & (LX_FIRST | LX_LAST | LX_SITE)) && !(lx & LX_COMMON)) || (d->mixed && phi_cap(&d->t[k]) && !(lx & LX_COMMON))) listed++;
        if (lx & LX_FIRST) firstname = 1;
        if (!lx && d->t[k].nalpha >= 4) unknown = 1;
        words++;
    }
    if (!listed && firstname && unknown && words == 2) listed = 1; /* "mary quellenberg": a first name and a word in no list */
    if (!listed || words > 3) return;
    for (int k = first; k <= last; k++)
        if (phi_word(d, k) && !(d->t[k].lex & LX_CRED)) phi_mark_name(d, k, PT_DOCTOR, "rule:signature-line", -1, !phi_initial(d, k));
}

/* "the Threlkeld family": a listed surname before "family" */
static void phi_rule_family_name(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!phi_is(d, i, "family") && !phi_is(d, i, "families")) continue;
        int k = i - 1;
        if (!phi_word(d, k) || d->t[i].nl || !phi_free(d, k)) continue;
        uint64_t lx = d->t[k].lex;
        if (((lx & (LX_FIRST | LX_LAST | LX_SITE)) || (d->mixed && d->t[k].shape == SH_TITLE)) && !(lx & (LX_COMMON | LX_STOP | LX_RELATION)))
            phi_mark_name(d, k, PT_RELATIVE, "rule:family-name", i, 1);
    }
}

/* header fields: "Name: ...", "Address: ...", "DOB: ...", "GP: ..." */
static void phi_rule_headers(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!phi_punct(d, i, ':') || !phi_word(d, i - 1)) continue;
        const PhiTok *lab = &d->t[i - 1];
        int what = (lab->lex & LX_HEADER) && lab->e ? lab->e->aux_header : 0;
        if (phi_is(d, i - 1, "birth")) what = 3;
        if (phi_is(d, i - 1, "kin") || phi_is(d, i - 1, "social") || phi_is(d, i - 1, "family")) what = 6;
        /* a letter's "Re: John Ashworth, DOB ...": the patient (capitalised, mixed text) */
        if (phi_is(d, i - 1, "re") && d->mixed && lab->shape == SH_TITLE && i + 1 < d->n && !d->t[i + 1].nl && phi_cap(&d->t[i + 1])) what = 1;
        if (!what) continue;
        int j = i + 1;
        if (j >= d->n) continue;
        if (what == 6) { /* "Social: Bill called": a relative's slot */
            if (phi_relative_slot(d, j) && !phi_initial(d, j)) phi_take_name(d, j, 3, 2, PT_RELATIVE, "rule:header-field", i - 1);
            continue;
        }
        if (what == 1 || what == 4 || what == 5) {
            if (d->t[j].nl) continue;
            while (j < d->n && !d->t[j].nl && (d->t[j].lex & LX_TITLE)) { j++; if (phi_punct(d, j, '.')) j++; }
            int type = what == 1 ? PT_PATIENT : what == 4 ? PT_DOCTOR : PT_RELATIVE;
            /* "Surname, Forename" */
            int k = phi_take_name(d, j, 4, 1, type, "rule:header-field", i - 1);
            if (k > j && phi_punct(d, k, ',') && !d->t[k + 1 < d->n ? k + 1 : k].nl) phi_take_name(d, k + 1, 3, 1, type, "rule:header-field", i - 1);
        } else if (what == 2) {
            /* the address: the rest of the line, and following lines until a blank line
             * or another "Label:" (at most 4 lines) */
            int k = j, lines = 0;
            if (k < d->n && d->t[k].nl) lines = 0;
            while (k < d->n && lines < 4) {
                if (k > j && d->t[k].nl) {
                    lines++;
                    /* blank line: the text has two line breaks; check the source */
                    int nlc = 0;
                    for (int b = d->t[k - 1].b1; b < d->t[k].b0; b++) if (d->text[b] == '\n') nlc++;
                    if (nlc > 1 || lines >= 4) break;
                    if (k + 1 < d->n && phi_punct(d, k + 1, ':')) break;
                    if (k + 2 < d->n && phi_punct(d, k + 2, ':') && phi_word(d, k + 1)) break;
                }
                k++;
            }
            if (k > j) phi_mark(d, j, k - 1, phi_is(d, i - 1, "city") || phi_is(d, i - 1, "town") ? PT_CITY : (phi_is(d, i - 1, "postcode") || phi_is(d, i - 1, "zip") || phi_is(d, i - 1, "zipcode")) ? PT_ZIP : phi_is(d, i - 1, "county") ? PT_COUNTY : PT_STREET, "rule:header-field", i - 1);
        } else if (what == 3) {
            if (!phi_is(d, i - 1, "dob") && !phi_is(d, i - 1, "birth") && !phi_is(d, i - 1, "date")) continue;
            int k = j, any = 0;
            while (k < d->n && !d->t[k].nl && k - j < 8) {
                if (d->t[k].kind == TK_NUM || (d->t[k].lex & LX_MONTH) || phi_day_token(d, k)) any = 1;
                else if (d->t[k].kind == TK_WORD && !(d->t[k].lex & LX_MONTH)) break;
                k++;
            }
            if (any && k > j) phi_mark(d, j, k - 1, PT_DATE, "rule:header-field", i - 1);
        }
    }
}

/* hospital words that are part of the name (Memorial, Adventist) rather than its head */
static int phi_hosp_nameish(const PhiDoc *d, int i) {
    return phi_is(d, i, "memorial") || phi_is(d, i, "adventist") || phi_is(d, i, "presbyterian") ||
           phi_is(d, i, "baptist") || phi_is(d, i, "methodist") || phi_is(d, i, "regional");
}

/* hospitals: the words before "Hospital", "Clinic", "Medical Center", "Rehab" */
static void phi_rule_hospitals(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!(d->t[i].lex & LX_HOSPWORD) || !phi_word(d, i)) continue;
        /* department-like heads (Heart Failure Clinic, Memory Clinic) need a proper name */
        int rehab = phi_is(d, i, "rehab") || phi_is(d, i, "regional") || phi_is(d, i, "clinic") || phi_is(d, i, "practice") ||
                    phi_is(d, i, "med") || phi_is(d, i, "medical") || phi_is(d, i, "medicine");
        if (d->mixed && !phi_cap(&d->t[i]) && (phi_is(d, i, "medical") || phi_is(d, i, "medicine") || rehab)) continue;
        if ((phi_is(d, i, "medical") || phi_is(d, i, "medicine") || phi_is(d, i, "med")) && !(phi_is(d, i + 1, "center") || phi_is(d, i + 1, "centre") || phi_is(d, i + 1, "ctr") || phi_is(d, i + 1, "college") || phi_is(d, i + 1, "school") || phi_is(d, i + 1, "group"))) continue;
        if (phi_is(d, i, "nhs") && !(phi_is(d, i + 1, "trust") || phi_is(d, i + 1, "foundation"))) continue;
        if (phi_is(d, i, "mc") && d->t[i].shape != SH_UPPER) continue;
        int k = i - 1, words = 0, strong = 0;
        int last = k;
        if (k >= 0 && (d->t[k].lex & LX_HOSPWORD) && !phi_hosp_nameish(d, k)) { k--; last = k; } /* Medical Center */
        while (k >= 0 && words < 4 && !d->t[k + 1].nl) {
            const PhiTok *t = &d->t[k];
            if (phi_punct(d, k, '.') && k > 0 && phi_is(d, k - 1, "st")) { k--; continue; }
            if (phi_punct(d, k, '-') && phi_tight(d, k) && phi_tight(d, k + 1) && k > 0 && phi_word(d, k - 1)) { k--; continue; }
            if (phi_punct(d, k, '\'') || phi_punct(d, k, '&')) { if (words) { k--; continue; } break; }
            if (!phi_word(d, k)) break;
            /* an acronym (MD Hospital, VA Hospital) in mixed text */
            int acronym = d->mixed && t->shape == SH_UPPER && t->nalpha >= 2 && t->nalpha <= 4 && !(t->lex & LX_PLACESTOP);
            if (!acronym && (t->lex & (LX_STOP | LX_GENERIC | LX_PLACESTOP | LX_UNIT | LX_MOVE))) {
                if (!(d->mixed && phi_cap(t) && !(t->lex & LX_STOP) && words == 0 && (t->lex & LX_GENERIC) && !(t->lex & LX_PLACESTOP))) break;
            }
            if (d->mixed && !phi_cap(t) && !(t->lex & LX_NAMEPART)) break;
            if (!d->mixed && (t->lex & LX_COMMON) && !(t->lex & (LX_FIRST | LX_LAST | LX_SITE | LX_CITY)) && words == 0 && !phi_hosp_nameish(d, k) &&
                !(k > 0 && phi_word(d, k - 1) && !(d->t[k - 1].lex & (LX_STOP | LX_GENERIC | LX_PLACESTOP | LX_MOVE)) && !d->t[k].nl)) break;
            if ((t->lex & (LX_CITY | LX_SITE)) || ((t->lex & (LX_FIRST | LX_LAST)) && !(t->lex & LX_COMMON)) ||
                (d->mixed && phi_cap(t) && (!rehab || !(t->lex & LX_COMMON)))) strong = 1;
            words++;
            if (d->t[k].nl) { k--; break; }
            k--;
        }
        if (!words) continue;
        if (rehab && !strong) continue; /* "begin rehab", "con't rehab", "regional anesthesia" */
        int first = k + 1;
        while (first <= last && d->t[first].kind == TK_PUNCT) first++;
        if (first <= last) phi_mark(d, first, last, PT_HOSPITAL, "rule:hospital-name", i);
        for (int m = first; m <= last; m++) d->t[m].ctx_name = 1; /* seeds for the same name elsewhere */
        /* Memorial, Adventist (and a named Rehab) are part of the name */
        if ((phi_hosp_nameish(d, i) || phi_is(d, i, "rehab")) && (!rehab || strong)) phi_mark(d, i, i, PT_HOSPITAL, "rule:hospital-name", i);
    }
}

/* the longest US city (1-3 words) starting at token i; returns its last token or -1 */
static int phi_city_at(const PhiDoc *d, int i) {
    int best = -1;
    char buf[64];
    size_t n = 0;
    for (int k = i; k < d->n && k < i + 3; k++) {
        if (!phi_word(d, k) || (k > i && (d->t[k].nl || !d->t[k].sp))) break;
        size_t w = (size_t)(d->t[k].b1 - d->t[k].b0);
        if (n + w + 1 >= sizeof buf) break;
        if (k > i) buf[n++] = ' ';
        for (size_t c = 0; c < w; c++) buf[n++] = (char)tolower((unsigned char)d->text[d->t[k].b0 + c]);
        const PhiEntry *e = phi_lookup(d->r, buf, n);
        if (e && (e->flags & LX_CITY)) best = k;
    }
    return best;
}

/* is the city name i..last trustworthy here: several words, or one word that is not an
 * ordinary word (or is capitalised in mixed text) */
static int phi_city_ok(const PhiDoc *d, int i, int last) {
    if (last < 0) return 0;
    for (int k = i; k <= last; k++) {
        if (d->mixed && !phi_cap(&d->t[k])) return 0;
        if (d->t[k].lex & (LX_STOP | LX_PLACESTOP | LX_MONTH | LX_WEEKDAY | LX_UNIT | LX_RELATION | LX_TITLE)) return 0;
    }
    if (last > i) return 1;
    uint64_t lx = d->t[i].lex;
    if (lx & LX_STATE) return 0;
    if (lx & LX_COMMON) {
        /* the safe list holds big cities too (Boston, Annapolis): take them with a capital
         * in mixed text, or in ALL CAPS / lower-case text when they end like a town */
        int nx = last + 1; /* "Nitro gtt", "Aline culture": a word used as a modifier */
        if (nx < d->n && !d->t[nx].nl && phi_word(d, nx) && (d->t[nx].lex & LX_COMMON) && !(d->t[nx].lex & (LX_STOP | LX_STATE))) return 0;
        if (i > 0 && !(phi_is(d, i - 1, "in") || phi_is(d, i - 1, "from") || phi_is(d, i - 1, "near"))) return 0;
        if (d->mixed) return d->t[i].shape == SH_TITLE;
        static const char *suffix[] = {"ville", "town", "burg", "burgh", "boro", "borough", "ford", "field", "port", "polis", "wood", "dale", "mouth", "chester", "ham", "ton", "stead"};
        int n = d->t[i].b1 - d->t[i].b0;
        if (n < 6) return 0;
        for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++) {
            int m = (int)strlen(suffix[k]);
            if (n > m + 2 && !strncasecmp(d->text + d->t[i].b1 - m, suffix[k], (size_t)m)) return 1;
        }
        return 0;
    }
    int st = last + 1 + phi_punct(d, last + 1, ',');
    if (st < d->n && !d->t[st].nl && (d->t[st].lex & LX_STATE) && !(lx & LX_COMMON)) return d->t[i].nalpha >= 4; /* "frostburg, maryland" */
    if ((lx & (LX_FIRST | LX_LAST)) && !(d->mixed && phi_cap(&d->t[i]))) return 0;
    return d->t[i].nalpha >= 4;
}

/* places after movement: "transferred to Whitcombe", "lives in Leeds", "from NRMC";
 * cities after in/from/of/near, and before a state */
static void phi_rule_places(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        /* a US city after a preposition, or before ", MD" / "Maryland" */
        int prep = phi_word(d, i) && i > 0 && !d->t[i].nl && (phi_is(d, i - 1, "in") || phi_is(d, i - 1, "from") || phi_is(d, i - 1, "of") ||
                   phi_is(d, i - 1, "near") || phi_is(d, i - 1, "outside") || phi_is(d, i - 1, "nearby"));
        if (phi_word(d, i) && (prep || (d->t[i].lex & LX_CITY)) && phi_free(d, i)) {
            int last = phi_city_at(d, i);
            int state = 0;
            if (last >= 0) {
                int s = last + 1;
                if (phi_punct(d, s, ',')) s++;
                state = s < d->n && !d->t[s].nl && ((d->t[s].lex & LX_STATE) ||
                        (d->t[s].shape == SH_UPPER && phi_us_state_abbr(d->text + d->t[s].b0, d->t[s].b1 - d->t[s].b0) && s == last + 2));
            }
            /* "nephew amos kettleby of frostburg": a listed city after a person and of/from */
            /* (and "19 birch st. in frostburg": after a street) */
            int pp = i - 2;
            while (pp >= 0 && d->t[pp].kind == TK_PUNCT && i - pp < 4) pp--;
            int of_person = last >= 0 && !d->mixed && i >= 2 && !(d->t[i].lex & (LX_COMMON | LX_STOP)) && d->t[i].nalpha >= 4 &&
                            (((phi_is(d, i - 1, "of") || phi_is(d, i - 1, "from")) && phi_is_name_type(d->type[i - 2])) ||
                             (phi_is(d, i - 1, "in") && pp >= 0 && d->type[pp] == PT_STREET));
            if (last >= 0 && (prep || state) && (phi_city_ok(d, i, last) || of_person)) {
                phi_mark(d, i, last, PT_CITY, "rule:city-lexicon", prep ? i - 1 : -1);
                for (int k = i; k <= last; k++) d->t[k].ctx_name = 1;
                i = last;
                continue;
            }
        }
        if (!(d->t[i].lex & LX_MOVE) || !phi_word(d, i)) continue;
        int j = i + 1;
        if (phi_is(d, j, "in") && (phi_is(d, j + 1, "from") || phi_is(d, j + 1, "to") || phi_is(d, j + 1, "transfer"))) j += 2;
        if (phi_is(d, j, "transfer")) j++;
        if (phi_punct(d, j, '-') && phi_punct(d, j + 1, '>')) j += 2; /* unresponsive-> GH */
        int live = phi_is(d, i, "lives") || phi_is(d, i, "living") || phi_is(d, i, "lived") || phi_is(d, i, "resides") ||
                   phi_is(d, i, "residing") || phi_is(d, i, "resident") || phi_is(d, i, "born");
        /* facility verbs: a short acronym after them names a place (to GH) */
        int facility = phi_is(d, i, "transferred") || phi_is(d, i, "transfered") || phi_is(d, i, "transfer") || phi_is(d, i, "trans") ||
                       phi_is(d, i, "tx") || phi_is(d, i, "txd") || phi_is(d, i, "tx'd") || phi_is(d, i, "admitted") || phi_is(d, i, "admit") ||
                       phi_is(d, i, "adm") || phi_is(d, i, "arrived") || phi_is(d, i, "arrival") || phi_is(d, i, "referred") ||
                       phi_is(d, i, "presented") || phi_is(d, i, "followed") || phi_is(d, i, "taken") || phi_is(d, i, "transferring") ||
                       phi_is(d, i, "sent") || phi_is(d, i, "came") || phi_is(d, i, "brought") || phi_is(d, i, "medflight") ||
                       phi_is(d, i, "medflighted") || phi_is(d, i, "enroute") || phi_is(d, i, "airlifted") || phi_is(d, i, "flown") ||
                       phi_is(d, i, "discharged") || phi_is(d, i, "accepted") || phi_is(d, i, "come") || phi_is(d, i, "comes");
        int in_ok = live || phi_is(d, i, "vacationing") || phi_is(d, i, "visiting") || phi_is(d, i, "vacation") || phi_is(d, i, "trip");
        if (phi_punct(d, i + 1, '-') && phi_punct(d, i + 2, '>')) {}
        else if (phi_is(d, j, "to") || phi_is(d, j, "from") || phi_is(d, j, "at") || phi_is(d, j, "near") || phi_is(d, j, "of") ||
                 (in_ok && phi_is(d, j, "in")) || (phi_is(d, i, "came") && phi_is(d, j, "into"))) j++;
        else continue;
        if ((phi_is(d, i, "go") || phi_is(d, i, "going") || phi_is(d, i, "goes") || phi_is(d, i, "went") || phi_is(d, i, "return") ||
             phi_is(d, i, "returned") || phi_is(d, i, "sent")) && !phi_is(d, j - 1, "to")) continue; /* specimens are "sent from" lines */
        if (phi_is(d, j - 1, "of") && !phi_is(d, i, "resident") && !phi_is(d, i, "records")) continue;
        if (phi_is(d, j, "the")) j++;
        int k = j, words = 0;
        while (k < d->n && words < 3 && !d->t[k].nl && phi_word(d, k)) {
            const PhiTok *t = &d->t[k];
            if (t->lex & (LX_STOP | LX_PLACESTOP | LX_UNIT | LX_MONTH | LX_WEEKDAY | LX_HOSPWORD | LX_RELATION | LX_TITLE | LX_ROLE | LX_CRED | LX_STATE)) break;
            int ok;
            /* a short acronym right after the preposition (GH, UMMC) names a place even
             * when it is also an ordinary abbreviation */
            int acronym = facility && words == 0 && t->nalpha >= 2 && t->b1 - t->b0 == t->nalpha &&
                          (t->nalpha <= 3 || (t->nalpha == 4 && !(t->lex & LX_COMMON))) &&
                          (d->mixed ? t->shape == SH_UPPER || (t->shape == SH_LOWER && t->nalpha <= 3) : 1);
            if (acronym && t->shape == SH_LOWER && k + 1 < d->n && !d->t[k + 1].nl && phi_word(d, k + 1) && (d->t[k + 1].lex & LX_COMMON) &&
                !(d->t[k + 1].lex & (LX_STOP | LX_PLACESTOP))) acronym = 0; /* "to sc heparin", "to med surg" */
            if (d->mixed) ok = t->shape == SH_TITLE || t->shape == SH_MIXED || acronym || (t->lex & LX_SITE) ||
                               (facility && !(t->lex & (LX_COMMON | LX_FIRST | LX_LAST)) && t->nalpha >= 4);
            else ok = !(t->lex & LX_COMMON) || (t->lex & LX_SITE) || acronym;
            if (!d->mixed && (t->lex & LX_COMMON) && (t->lex & (LX_FIRST | LX_LAST | LX_CITY)) && words > 0) ok = 1;
            if (!ok) break;
            words++;
            k++;
        }
        if (!words) continue;
        if (k < d->n && (d->t[k].lex & LX_HOSPWORD) && !d->t[k].nl) continue; /* the hospital rule's */
        /* "referred to Cardiac Surgery", "sent to Vascular team": ordinary words before a
         * department name a service, not a place */
        if (k < d->n && !d->t[k].nl && (phi_department(d, k) || phi_is(d, k, "team") || phi_is(d, k, "service") ||
                                        phi_is(d, k, "services") || phi_is(d, k, "department") || phi_is(d, k, "dept") ||
                                        phi_is(d, k, "clinic") || phi_is(d, k, "unit") || phi_is(d, k, "ward"))) {
            int ordinary = 1;
            for (int m = j; m < k; m++)
                if (!(d->t[m].lex & LX_COMMON) || (d->t[m].lex & (LX_CITY | LX_SITE))) ordinary = 0;
            if (ordinary) continue;
        }
        int city = phi_city_at(d, j) == k - 1 && phi_city_ok(d, j, k - 1);
        phi_mark(d, j, k - 1, live || city ? PT_CITY : PT_LOCATION, city ? "rule:city-lexicon" : live ? "rule:place-of-residence" : "rule:place-after-movement", i);
        for (int m = j; m < k; m++) d->t[m].ctx_name = 1;
    }
}

/* "Whitcombe 2": an unknown word before a small number names a unit; "Brackwater EW":
 * a word before ER/EW/ED after to/from/at names a hospital */
static void phi_rule_unit_names(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_word(d, i) || !phi_free(d, i)) continue;
        const PhiTok *t = &d->t[i];
        uint64_t lx = t->lex;
        int unknown = !(lx & (LX_COMMON | LX_FIRST | LX_LAST | LX_CITY | LX_STOP | LX_UNIT | LX_NUMCTX | LX_PLACESTOP | LX_MONTH | LX_WEEKDAY)) &&
                      t->nalpha >= 6 && (!d->mixed || phi_cap(t) || (lx & LX_SITE));
        int nx = i + 1;
        /* after to/from/on/at/per/transfer or at the start of a line or field */
        int placed = t->nl || phi_is(d, i - 1, "to") || phi_is(d, i - 1, "from") || phi_is(d, i - 1, "on") || phi_is(d, i - 1, "at") ||
                     phi_is(d, i - 1, "per") || phi_is(d, i - 1, "transfer") || phi_punct(d, i - 1, ':');
        /* and the number ends the phrase: "Whitcombe 2.", "Whitcombe 3 RN" */
        int ends = nx + 1 >= d->n || d->t[nx + 1].nl || phi_punct(d, nx + 1, '.') || phi_punct(d, nx + 1, ',') ||
                   phi_punct(d, nx + 1, ')') || phi_punct(d, nx + 1, ';') || (d->t[nx + 1].lex & (LX_STOP | LX_CRED));
        if (unknown && placed && ends && phi_num(d, nx) && d->t[nx].ndig <= 2 && !d->t[nx].nl && d->t[nx].sp &&
            !(phi_punct(d, nx + 1, '.') && phi_tight(d, nx + 1) && phi_num(d, nx + 2))) {
            phi_mark(d, i, i, PT_LOCATION, "rule:unit-name", -1);
            d->t[i].ctx_name = 1;
            continue;
        }
        if ((phi_is(d, nx, "ew") || phi_is(d, nx, "er") || phi_is(d, nx, "ed")) && !d->t[nx].nl &&
            (phi_is(d, i - 1, "to") || phi_is(d, i - 1, "from") || phi_is(d, i - 1, "at")) &&
            !(lx & (LX_STOP | LX_PLACESTOP | LX_UNIT | LX_GENERIC)) &&
            (!(lx & LX_COMMON) || (t->nalpha <= 4 && t->b1 - t->b0 == t->nalpha && (!d->mixed || t->shape == SH_UPPER)))) {
            phi_mark(d, i, i, PT_HOSPITAL, "rule:hospital-before-er", nx);
            d->t[i].ctx_name = 1;
        }
    }
}

/* a hospital's acronym (GH, UMMC, BWH: ending in H, MC or HC) after at/to/from/by, or
 * before ER/EW/ED: "seen by WCMC nurse", "found down -> PVH ER". Not after "due to",
 * "secondary to" (ICH, SAH are diagnoses). */
static int phi_hosp_acronym(const PhiDoc *d, int i) {
    if (!phi_word(d, i)) return 0;
    const PhiTok *t = &d->t[i];
    if (t->nalpha < 2 || t->nalpha > 5 || t->b1 - t->b0 != t->nalpha) return 0;
    const char *e = d->text + t->b1;
    int low = d->mixed && t->shape != SH_UPPER; /* lower case in mixed text: no vowel at all (bh) */
    if (low && (t->shape != SH_LOWER || t->nalpha > 4)) return 0;
    if (low) for (const char *p = d->text + t->b0; p < e; p++) if (strchr("aeiouy", *p)) return 0;
    if (t->lex & (LX_STOP | LX_PLACESTOP | LX_STATE | LX_UNIT | LX_NUMCTX | LX_VENT | LX_CRED | LX_ROLE)) return 0;
    {
        char z0 = (char)tolower((unsigned char)e[-1]), y0 = (char)tolower((unsigned char)e[-2]);
        if (!(z0 == 'h' || (t->nalpha >= 3 && z0 == 'c' && (y0 == 'm' || y0 == 'h')))) return 0; /* cheap test first */
    }
    /* "oob to ch(air)", and diagnoses and therapies shaped like a hospital's acronym */
    static const char *const clinical[] = {"ch", "cvvh", "ich", "sah", "sdh", "ivh", "iph", "bph", "lvh", "rvh", "pph",
                                           "nph", "pih", "hh", "ah", "oh", "uh", "eh", "nh",
                                           "tsh", "acth", "adh", "fsh", "lh", "pth", "hgh", "crh", "gnrh", "trh", "ghrh", "ldh",
                                           "mch", "mchc", "mhc", "ach", "hch", "dh", "rh", "bh4", "nadh", "nadph", "fadh", NULL};
    for (int k = 0; clinical[k]; k++) if (phi_is(d, i, clinical[k])) return 0;
    if (t->lex & LX_COMMON) /* an ordinary word (high, touch) unless it has no vowel after its first letter */
        for (const char *p = d->text + t->b0 + 1; p < e; p++)
            if (strchr("aeiouyAEIOUY", *p)) return 0;
    char z = (char)tolower((unsigned char)e[-1]), y = (char)tolower((unsigned char)e[-2]);
    int shape = z == 'h' || (t->nalpha >= 3 && z == 'c' && (y == 'm' || y == 'h'));
    return shape ? 1 + low : 0;
}
static void phi_rule_hospital_acronyms(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        int ac = phi_free(d, i) && !d->t[i].nl ? phi_hosp_acronym(d, i) : 0;
        if (!ac) continue;
        int p = i - 1;
        if (phi_is(d, p, "the")) p--;
        int cue = phi_is(d, p, "at") || phi_is(d, p, "from") || phi_is(d, p, "by") || phi_is(d, p, "to") || phi_punct(d, p, '@') ||
                  (phi_punct(d, p, '>') && phi_punct(d, p - 1, '-'));
        if (ac == 2 && !(phi_is(d, p, "at") || phi_is(d, p, "from"))) cue = 0; /* lower case: "at bh", not "to nh" */
        if (phi_is(d, p, "to") && (phi_is(d, p - 1, "due") || phi_is(d, p - 1, "secondary") || phi_is(d, p - 1, "related") ||
                                   phi_is(d, p - 1, "progressed") || phi_is(d, p - 1, "progression") || phi_is(d, p - 1, "prior"))) cue = 0;
        int nx = i + 1;
        if (nx < d->n && !d->t[nx].nl && (phi_is(d, nx, "er") || phi_is(d, nx, "ew") || phi_is(d, nx, "ed"))) cue = 1;
        if (!cue) continue;
        phi_mark(d, i, i, PT_HOSPITAL, "rule:hospital-acronym", p >= 0 ? p : -1);
        /* not a seed for the same word elsewhere: hormones and lab names share the shape */
    }
}

/* an employer: "wife CFO of NCB", "works for Acme Freight", "employed by Lockheed"
 * (mixed text: capitalised words; ALL CAPS / lower case: an acronym or a word in no list) */
static void phi_rule_employer(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        if (!phi_starts_in(d, i, "cpoewrfd")) continue;
        if (!(phi_is(d, i, "ceo") || phi_is(d, i, "president") || phi_is(d, i, "owner") || phi_is(d, i, "employee") ||
              phi_is(d, i, "employed") || phi_is(d, i, "works") || phi_is(d, i, "worked") || phi_is(d, i, "working") ||
              phi_is(d, i, "retired") || phi_is(d, i, "founder") || phi_is(d, i, "director")) || d->t[i + 1].nl) continue;
        if (!(phi_is(d, i + 1, "of") || phi_is(d, i + 1, "at") || phi_is(d, i + 1, "for") || phi_is(d, i + 1, "by") || phi_is(d, i + 1, "from"))) continue;
        int j = i + 2, k = j;
        while (k < d->n && k < j + 3 && !d->t[k].nl && phi_word(d, k) && phi_free(d, k)) {
            const PhiTok *t = &d->t[k];
            if (t->lex & (LX_STOP | LX_PLACESTOP | LX_MONTH | LX_WEEKDAY | LX_UNIT | LX_ROLE | LX_TITLE | LX_GENERIC | LX_RELATION)) break;
            int ok;
            if (d->mixed) ok = phi_cap(t) && !(k == j && t->shape == SH_UPPER && t->nalpha <= 1);
            else {
                int acro = t->nalpha >= 2 && t->nalpha <= 4 && t->b1 - t->b0 == t->nalpha;
                for (int b = t->b0 + 1; acro && b < t->b1; b++) if (strchr("aeiouyAEIOUY", d->text[b])) acro = 0;
                ok = acro || (!t->lex && t->nalpha >= 4);
            }
            if (!ok) break;
            k++;
        }
        if (k == j || phi_department(d, j)) continue;
        phi_mark(d, j, k - 1, PT_LOCATION, "rule:employer", i);
    }
}

/* residences named after a person: "Penwarden House", "Bellamy Manor" (a listed surname,
 * not an ordinary word) */
static void phi_rule_named_houses(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_word(d, i) || !phi_free(d, i) || d->t[i + 1].nl) continue;
        if (!(phi_is(d, i + 1, "house") || phi_is(d, i + 1, "manor") || phi_is(d, i + 1, "lodge") || phi_is(d, i + 1, "hall"))) continue;
        uint64_t lx = d->t[i].lex;
        if (!(lx & (LX_LAST | LX_SITE)) || (lx & (LX_COMMON | LX_STOP | LX_ENGLISH | LX_RELATION | LX_TITLE)) || d->t[i].nalpha < 4) continue;
        if (d->mixed && !(phi_cap(&d->t[i]) && phi_cap(&d->t[i + 1]))) continue;
        phi_mark(d, i, i, PT_LOCATION, "rule:named-house", i + 1);
        d->t[i].ctx_name = 1;
    }
}

/* a clinician from a place: "surgeon from Harbourside", "the cardiologist from Whitfield
 * General" (mixed text: the place is capitalised; not a department: "resident from
 * Medicine") */
static void phi_rule_clinician_from(PhiDoc *d) {
    if (!d->mixed) return;
    for (int i = 0; i + 2 < d->n; i++) {
        if (!(d->t[i].lex & LX_ROLE) || !phi_word(d, i) || !phi_is(d, i + 1, "from") || d->t[i + 1].nl) continue;
        int j = i + 2, k = j;
        if (phi_is(d, k, "the")) j = ++k;
        while (k < d->n && k < j + 3 && !d->t[k].nl && phi_word(d, k) && phi_cap(&d->t[k]) && phi_free(d, k) &&
               !(d->t[k].lex & (LX_STOP | LX_PLACESTOP | LX_MONTH | LX_WEEKDAY | LX_ROLE | LX_TITLE | LX_UNIT)) && !phi_department(d, k))
            k++;
        if (k == j || (k == j + 1 && d->t[j].shape == SH_UPPER && d->t[j].nalpha <= 2)) continue;
        phi_mark(d, j, k - 1, PT_HOSPITAL, "rule:clinician-from", i);
    }
}

/* places named by their shape and a cue: "to Blake12" (a unit: a word in no list with a
 * number stuck to it), "in the Penwarden area", "lives in NJ" */
static void phi_rule_place_shapes(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!phi_free(d, i) || d->t[i].nl) continue;
        const PhiTok *t = &d->t[i];
        if (t->kind != TK_ALNUM && t->kind != TK_WORD) continue;
        int p = i - 1;
        if (phi_is(d, p, "the")) p--;
        int cue = t->kind == TK_ALNUM && (phi_is(d, p, "to") || phi_is(d, p, "from") || phi_is(d, p, "at") || phi_is(d, p, "on") ||
                                          phi_is(d, p, "transfer") || phi_punct(d, p, '@'));
        if (t->kind == TK_ALNUM && cue && t->ndig <= 2 && t->nalpha >= 5 && t->nalpha + t->ndig == t->b1 - t->b0 &&
            isdigit((unsigned char)d->text[t->b1 - 1]) && !isdigit((unsigned char)d->text[t->b0 + t->nalpha - 1])) { /* letters, then the digits */
            char low[64];
            int n = t->nalpha;
            if (n > 60) continue; /* no lexicon word is longer */
            char lastc = (char)tolower((unsigned char)d->text[t->b0 + n - 1]);
            if (lastc == 'x' || lastc == 'q') continue; /* commodex3, combiventq4: times, frequency */
            for (int k = 0; k < n; k++) low[k] = (char)tolower((unsigned char)d->text[t->b0 + k]);
            const PhiEntry *e = phi_lookup(d->r, low, (size_t)n);
            if (!e || !(e->flags & (LX_COMMON | LX_UNIT | LX_NUMCTX | LX_VENT | LX_PLACESTOP))) {
                phi_mark(d, i, i, PT_LOCATION, "rule:unit-name", p);
                continue;
            }
        }
        if (!phi_word(d, i)) continue;
        /* "in the Penwarden area", "from Harford County" */
        int nx = i + 1;
        if (nx < d->n && !d->t[nx].nl && (phi_is(d, nx, "area") || phi_is(d, nx, "county") || phi_is(d, nx, "neighborhood") ||
                                         phi_is(d, nx, "neighbourhood") || phi_is(d, nx, "region")) &&
            (phi_is(d, p, "in") || phi_is(d, p, "from") || phi_is(d, p, "near") || phi_is(d, p, "of") || phi_is(d, p, "around")) &&
            !(t->lex & (LX_STOP | LX_PLACESTOP | LX_GENERIC | LX_UNIT | LX_MONTH | LX_WEEKDAY)) && t->nalpha >= 3 &&
            (d->mixed ? phi_cap(t) : !(t->lex & LX_COMMON) || (t->lex & (LX_CITY | LX_STATE)))) {
            int county = phi_is(d, nx, "county");
            phi_mark(d, i, county ? nx : i, county ? PT_COUNTY : PT_LOCATION, "rule:place-area", nx);
            continue;
        }
        /* "lives in DC", "moved from NY": a state's postal abbreviation */
        char up2[2] = {(char)toupper((unsigned char)d->text[t->b0]), t->b1 - t->b0 > 1 ? (char)toupper((unsigned char)d->text[t->b0 + 1]) : 0};
        if ((t->shape == SH_UPPER || (!d->mixed && t->shape == SH_LOWER)) && t->b1 - t->b0 == 2 && phi_us_state_abbr(up2, 2) &&
            (phi_is(d, i - 1, "in") || phi_is(d, i - 1, "from")) &&
            (phi_is(d, i - 2, "lives") || phi_is(d, i - 2, "living") || phi_is(d, i - 2, "lived") || phi_is(d, i - 2, "resides") ||
             phi_is(d, i - 2, "residing") || phi_is(d, i - 2, "born") || phi_is(d, i - 2, "moved") || phi_is(d, i - 2, "relocated")) &&
            !(t->lex & LX_PLACESTOP) && !d->t[i - 1].nl) {
            phi_mark(d, i, i, PT_LOCATION, "rule:place-of-residence", i - 2);
        }
    }
}

/* "U Maryland", "Univ. of Michigan", "University of Leeds": a university hospital */
static void phi_rule_university(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!(phi_is(d, i, "u") || phi_is(d, i, "univ") || phi_is(d, i, "university")) || !phi_free(d, i)) continue;
        if (phi_is(d, i, "u") && ((d->t[i].shape != SH_UPPER && (d->mixed || !(phi_lex(d, i + 1) & LX_STATE))) || phi_num(d, i - 1))) continue;
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (phi_is(d, j, "of")) j++;
        if (j >= d->n || d->t[j].nl || !phi_word(d, j)) continue;
        uint64_t lx = d->t[j].lex;
        if (!(lx & (LX_STATE | LX_CITY | LX_SITE)) && !(!phi_is(d, i, "u") && d->mixed && phi_cap(&d->t[j]) && !(lx & LX_STOP))) continue;
        if (d->mixed && !phi_cap(&d->t[j])) continue;
        phi_mark(d, i, j, PT_HOSPITAL, "rule:university", -1);
    }
}

/* St. Mary's, St Agnes: a saint's name is a hospital's (not "Birch St.", "ST elevation") */
static void phi_rule_saints(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!(phi_is(d, i, "st") || phi_is(d, i, "saint")) || !phi_free(d, i)) continue;
        if (i > 0 && !d->t[i].nl && (d->t[i - 1].kind == TK_NUM || (phi_word(d, i - 1) && phi_cap(&d->t[i - 1]) && !(d->t[i - 1].lex & (LX_STOP | LX_MOVE))))) continue;
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (j >= d->n || d->t[j].nl || !phi_word(d, j)) continue;
        uint64_t lx = d->t[j].lex;
        if (!(lx & (LX_FIRST | LX_SITE)) || (lx & (LX_STOP | LX_UNIT))) continue;
        if (d->mixed && !phi_cap(&d->t[j])) continue;
        int cue = !d->mixed && (phi_is(d, i - 1, "to") || phi_is(d, i - 1, "at") || phi_is(d, i - 1, "from") || (phi_lex(d, i - 1) & LX_MOVE));
        if ((lx & LX_COMMON) && !(phi_is(d, i, "saint") || phi_punct(d, i + 1, '.') || d->t[i].shape == SH_TITLE || cue)) continue;
        phi_mark(d, i, j, PT_HOSPITAL, "rule:saint-name", i);
    }
}

/* practices and health centres, named by the capitalised words before their head
 * ("Lakeside Family Medicine", "Bridge Street Surgery", "Hollins Health Centre"); the
 * name needs a word that is not an ordinary one, or a street word (not "General
 * Surgery", "Cardiac Surgery") */
static void phi_rule_practices(PhiDoc *d) {
    if (!d->mixed) return;
    static const char *const head[][2] = {{"family", "medicine"}, {"internal", "medicine"}, {"family", "practice"},
        {"primary", "care"}, {"health", "center"}, {"health", "centre"}, {"medical", "group"}, {"medical", "centre"},
        {"medical", "center"}, {"surgery", NULL}, {"health", "clinic"}, {"family", "health"}, {"pediatrics", NULL},
        {"paediatrics", NULL}, {"associates", NULL}, {"group", "practice"}};
    for (int i = 1; i < d->n; i++) {
        if (!phi_word(d, i) || !phi_cap(&d->t[i])) continue;
        int end = -1;
        for (size_t h = 0; h < sizeof head / sizeof head[0] && end < 0; h++) {
            if (!phi_is(d, i, head[h][0])) continue;
            if (!head[h][1]) end = i;
            else if (i + 1 < d->n && !d->t[i + 1].nl && phi_is(d, i + 1, head[h][1]) && phi_cap(&d->t[i + 1])) end = i + 1;
        }
        if (end < 0) continue;
        int k = i - 1, words = 0, strong = 0;
        while (k >= 0 && words < 3 && !d->t[k + 1].nl && phi_word(d, k) && phi_cap(&d->t[k])) {
            uint64_t lx = d->t[k].lex;
            if (lx & (LX_STOP | LX_GENERIC | LX_TITLE | LX_ROLE | LX_CRED | LX_MONTH | LX_WEEKDAY)) break;
            if (!(lx & LX_COMMON) || (lx & (LX_STREET | LX_CITY | LX_SITE)) || ((lx & (LX_FIRST | LX_LAST)) && !(lx & LX_COMMON))) strong = 1;
            words++;
            k--;
        }
        if (!words || !strong) continue;
        phi_mark(d, k + 1, i - 1, PT_HOSPITAL, "rule:practice-name", i);
        for (int m = k + 1; m < i; m++) d->t[m].ctx_name = 1;
        i = end;
    }
}

/* devotional names that many hospitals share: Holy Cross, Sacred Heart, Good Samaritan,
 * with a hospital word right after them (Memorial, Hospital) when it is one of the name */
static void phi_rule_devotional_hospitals(PhiDoc *d) {
    static const char *const pair[][2] = {{"holy", "cross"}, {"holy", "family"}, {"holy", "name"}, {"holy", "redeemer"},
        {"holy", "spirit"}, {"holy", "trinity"}, {"sacred", "heart"}, {"good", "samaritan"}, {"good", "sam"}, {"good", "shepherd"},
        {"our", "lady"}, {"divine", "providence"}, {"precious", "blood"}, {"mount", "sinai"}, {"mt", "sinai"}};
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_starts_in(d, i, "hsgodpm") || d->t[i + 1].nl || !phi_word(d, i + 1)) continue;
        for (size_t k = 0; k < sizeof pair / sizeof pair[0]; k++) {
            if (!phi_is(d, i, pair[k][0]) || !phi_is(d, i + 1, pair[k][1])) continue;
            /* in mixed text the name is capitalised, or a hospital word follows */
            int hw = i + 2 < d->n && !d->t[i + 2].nl && (d->t[i + 2].lex & LX_HOSPWORD);
            if (d->mixed && !(phi_cap(&d->t[i]) && phi_cap(&d->t[i + 1])) && !hw) break;
            if (!d->mixed && !hw && !phi_is(d, i - 1, "at") && !phi_is(d, i - 1, "to") && !phi_is(d, i - 1, "from") &&
                !phi_is(d, i - 1, "by") && !phi_is(d, i - 1, "in") && !phi_punct(d, i - 1, '(')) break;
            phi_mark(d, i, i + 1, PT_HOSPITAL, "rule:devotional-hospital", -1);
            if (hw && phi_hosp_nameish(d, i + 2)) phi_mark(d, i + 2, i + 2, PT_HOSPITAL, "rule:devotional-hospital", -1);
            break;
        }
    }
}

/* wards and rooms: "room 12", "Bed 4B" (extra) */
static void phi_rule_wards(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!(d->t[i].lex & LX_WARDWORD) || !phi_word(d, i)) continue;
        int j = i + 1;
        if (phi_punct(d, j, '#') || phi_punct(d, j, ':')) j++;
        if (j >= d->n || d->t[j].nl) continue;
        if (!((d->t[j].kind == TK_NUM && d->t[j].ndig <= 4) || (d->t[j].kind == TK_ALNUM && d->t[j].b1 - d->t[j].b0 <= 5))) continue;
        if (j + 1 < d->n && !d->t[j + 1].nl && (d->t[j + 1].lex & LX_UNIT)) continue;
        int apt = phi_is(d, i, "apt") || phi_is(d, i, "apartment") || phi_is(d, i, "flat") || phi_is(d, i, "suite");
        phi_mark(d, j, j, apt ? PT_STREET : PT_WARD, apt ? "rule:street-address" : "rule:ward-room", i);
    }
}

/* occupations, when the text ties them to someone: "retired electrician", "works as a
 * librarian", "Occupation: teacher", "is a 34 year old teacher" */
static void phi_rule_professions(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!(d->t[i].lex & LX_PROFESSION) || !phi_word(d, i) || !phi_free(d, i)) continue;
        int tied = 0;
        for (int k = i - 1; k >= 0 && k >= i - 6 && !d->t[k + 1].nl; k--)
            if (phi_is(d, k, "works") || phi_is(d, k, "worked") || phi_is(d, k, "working") || phi_is(d, k, "retired") ||
                phi_is(d, k, "occupation") || phi_is(d, k, "job") || phi_is(d, k, "employed") || phi_is(d, k, "former") ||
                phi_is(d, k, "profession") || phi_is(d, k, "career") || phi_is(d, k, "is") || phi_is(d, k, "was") ||
                phi_is(d, k, "as")) { tied = 1; break; }
        if (tied) phi_mark(d, i, i, PT_PROFESSION, "lexicon:professions", -1);
    }
}

/* a word in the name lists and not in the safe list, not an eponym */
static void phi_rule_lexicon_names(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!phi_free(d, i) || !phi_word(d, i)) continue;
        const PhiTok *t = &d->t[i];
        uint64_t lx = t->lex;
        if (!(lx & (LX_FIRST | LX_LAST | LX_SITE))) continue;
        if (!(lx & LX_SITE) && ((lx & (LX_COMMON | LX_STOP)) || t->nalpha < 2)) continue;
        if (lx & (LX_MONTH | LX_WEEKDAY | LX_CRED | LX_TITLE | LX_RELATION | LX_UNIT | LX_NUMCTX | LX_PLACESTOP | LX_HOSPWORD | LX_STATE)) continue;
        int nx = i + 1;
        if (phi_punct(d, nx, '\'') && phi_tight(d, nx)) nx += 2; /* Parkinson ' s */
        if (nx < d->n && !d->t[nx].nl && (d->t[nx].lex & LX_EPONYM) && !(lx & LX_SITE)) continue;
        int pairok = 0;
        /* ALL CAPS / lower-case notes: a listed first name with a surname or an unknown word
         * after it ("rosalind kowalczyk") is a name */
        if (!d->mixed && (lx & LX_FIRST) && !(lx & LX_ENGLISH) && t->nalpha >= 3 && phi_word(d, i + 1) && !d->t[i + 1].nl && d->t[i + 1].nalpha >= 3) {
            uint64_t l2 = d->t[i + 1].lex;
            int vowel = 0; /* "sang dng": an abbreviation has no vowel, a name has */
            for (int b = d->t[i + 1].b0; b < d->t[i + 1].b1; b++) vowel |= strchr("aeiouyAEIOUY", d->text[b]) != NULL;
            if (!(l2 & (LX_COMMON | LX_STOP | LX_ENGLISH)) && ((l2 & LX_LAST) || (!l2 && vowel)) &&
                !(i + 2 < d->n && !d->t[i + 2].nl && (d->t[i + 2].lex & LX_EPONYM))) pairok = 1;
        }
        if (pairok) { phi_mark(d, i, i + 1, PT_NAME, "rule:name-pair", -1); d->t[i].ctx_name = d->t[i + 1].ctx_name = 1; continue; }
        /* "rosalind and odalys", "mike & lorna": first names joined by and / & (ALL CAPS / lower case) */
        if (!d->mixed && (lx & LX_FIRST) && !(lx & LX_ENGLISH) && t->nalpha >= 3 && (phi_is(d, i + 1, "and") || phi_punct(d, i + 1, '&')) &&
            !d->t[i + 1].nl && phi_word(d, i + 2) && !d->t[i + 2].nl) {
            uint64_t l2 = d->t[i + 2].lex;
            if ((l2 & LX_FIRST) && !(l2 & (LX_STOP | LX_COMMON | LX_ENGLISH | LX_MONTH | LX_WEEKDAY)) && d->t[i + 2].nalpha >= 3) {
                phi_mark(d, i, i, PT_NAME, "rule:name-pair", -1);
                phi_mark(d, i + 2, i + 2, PT_NAME, "rule:name-pair", -1);
                d->t[i].ctx_name = d->t[i + 2].ctx_name = 1;
                continue;
            }
        }
        /* "case mgmt (donna)", "SW (Sarah)": a listed first name alone in brackets after a
         * role, a department or a relation */
        if ((lx & LX_FIRST) && !(lx & LX_ENGLISH) && t->nalpha >= 3 && t->shape != SH_UPPER && phi_punct(d, i - 1, '(') && phi_punct(d, i + 1, ')') &&
            phi_tight(d, i) && phi_tight(d, i + 1) && i >= 2 && !d->t[i - 1].nl &&
            ((d->t[i - 2].lex & (LX_ROLE | LX_RELATION | LX_CRED)) || phi_department(d, i - 2) || phi_is(d, i - 2, "mgmt") ||
             phi_is(d, i - 2, "management") || phi_is(d, i - 2, "manager") || phi_is(d, i - 2, "worker"))) {
            phi_mark(d, i, i, PT_NAME, "rule:name-in-brackets", -1);
            d->t[i].ctx_name = 1;
            continue;
        }
        /* in ALL CAPS / lower-case notes a listed word alone says too little (Hickman,
         * amber, aline), unless it has the only capital around ("spoke with Prendergast") */
        if (!(lx & LX_SITE) && (!d->mixed || t->shape != SH_TITLE) &&
            !(!d->mixed && t->nalpha >= 3 && t->shape == SH_TITLE && !(lx & LX_ENGLISH) && !phi_sentence_start(d, i))) continue;
        /* "Amber in color.", "Pearl 2-3 mm": an English word with a capital at a sentence start */
        if (!(lx & LX_SITE) && (lx & LX_ENGLISH) && phi_sentence_start(d, i)) {
            /* ... unless a capitalised listed name follows: "Glen Stone is a 56-year-old" */
            int nx2 = i + 1;
            uint64_t l2 = phi_lex(d, nx2);
            if (!(d->mixed && phi_word(d, nx2) && !d->t[nx2].nl && d->t[nx2].shape == SH_TITLE && (l2 & (LX_FIRST | LX_LAST)) &&
                  !(l2 & (LX_STOP | LX_MONTH | LX_WEEKDAY | LX_HOSPWORD | LX_PLACESTOP | LX_UNIT | LX_EPONYM | LX_STREET | LX_STATE)) &&
                  !(nx2 + 1 < d->n && !d->t[nx2 + 1].nl && (d->t[nx2 + 1].lex & (LX_EPONYM | LX_HOSPWORD | LX_STREET))))) continue;
        }
        phi_mark(d, i, i, PT_NAME, (lx & LX_SITE) ? "lexicon:site" : (lx & LX_FIRST) ? "lexicon:firstnames" : "lexicon:surnames", -1);
    }
}

/* a name's neighbours: "Gerry Quellenberg" once one of them is known */
static void phi_rule_name_neighbours(PhiDoc *d) {
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < d->n; i++) {
            if (!phi_is_name_type(d->type[i]) || !phi_word(d, i)) continue;
            int nx = i + 1;
            if (phi_punct(d, nx, '.') && phi_initial(d, i)) nx++;
            /* "Glen Stone": a capitalised listed surname after a first name, even an ordinary word */
            int surname = nx < d->n && d->mixed && phi_word(d, nx) && d->t[nx].shape == SH_TITLE && (d->t[i].lex & LX_FIRST) &&
                          (d->t[nx].lex & LX_LAST) && !(d->t[nx].lex & (LX_STOP | LX_MONTH | LX_WEEKDAY | LX_HOSPWORD | LX_PLACESTOP |
                                                                       LX_UNIT | LX_EPONYM | LX_STREET | LX_STATE | LX_CRED | LX_ROLE)) &&
                          !(nx + 1 < d->n && !d->t[nx + 1].nl && (d->t[nx + 1].lex & (LX_EPONYM | LX_HOSPWORD | LX_STREET)));
            if (nx < d->n && !d->t[nx].nl && phi_free(d, nx) && (phi_namelike(d, nx, 0) || surname ||
                (phi_initial(d, nx) && d->t[nx].shape == SH_UPPER && !phi_is(d, nx, "i") &&
                 phi_namelike(d, nx + (phi_punct(d, nx + 1, '.') ? 2 : 1), 0)))) {
                phi_mark_name(d, nx, d->type[i], "rule:name-neighbour", -1, 0);
            }
            int pv = i - 1;
            if (pv >= 0 && !d->t[i].nl && phi_free(d, pv) && phi_word(d, pv) && phi_namelike(d, pv, 0) && (d->t[pv].lex & (LX_FIRST | LX_SITE)) )
                phi_mark_name(d, pv, d->type[i], "rule:name-neighbour", -1, 0);
        }
    }
}

/* a word the context rules called a name is that name everywhere in the document */
typedef struct { uint32_t h; int tok; } PhiSeed;
static int phi_seed_cmp(const void *a, const void *b) {
    uint32_t x = ((const PhiSeed *)a)->h, y = ((const PhiSeed *)b)->h;
    return x < y ? -1 : x > y;
}
static uint32_t phi_tok_hash_lower(const PhiDoc *d, int i) {
    uint32_t h = 2166136261u;
    for (int b = d->t[i].b0; b < d->t[i].b1; b++) h = (h ^ (uint8_t)tolower((unsigned char)d->text[b])) * 16777619u;
    return h;
}
/* a seed: a word a context rule called a name or a place, that is not an ordinary word
 * (or, for a place, a short capital acronym such as GH) */
static int phi_seed(const PhiDoc *d, int i) {
    const PhiTok *t = &d->t[i];
    if (!t->ctx_name || t->nalpha < 2 || t->kind != TK_WORD || (t->lex & LX_STOP)) return 0;
    int ty = d->type[i];
    if (phi_is_name_type(ty)) return !(t->lex & LX_COMMON);
    if (ty == PT_LOCATION || ty == PT_CITY || ty == PT_HOSPITAL)
        return !(t->lex & (LX_COMMON | LX_PLACESTOP)) || (t->shape == SH_UPPER && t->nalpha <= 4 && !(t->lex & LX_PLACESTOP));
    return 0;
}

static void phi_rule_same_name(PhiDoc *d) {
    int n = 0;
    for (int i = 0; i < d->n; i++)
        if (phi_seed(d, i)) n++;
    if (!n) return;
    PhiSeed *s = xmalloc((size_t)n * sizeof *s);
    n = 0;
    for (int i = 0; i < d->n; i++)
        if (phi_seed(d, i))
            s[n++] = (PhiSeed){phi_tok_hash_lower(d, i), i};
    qsort(s, (size_t)n, sizeof *s, phi_seed_cmp);
    for (int i = 0; i < d->n; i++) {
        if (!phi_free(d, i) || !phi_word(d, i) || d->t[i].nalpha < 2) continue;
        uint32_t h = phi_tok_hash_lower(d, i);
        int lo = 0, hi = n;
        while (lo < hi) { int m = (lo + hi) / 2; if (s[m].h < h) lo = m + 1; else hi = m; }
        for (int k = lo; k < n && s[k].h == h; k++) {
            const PhiTok *a = &d->t[s[k].tok], *b = &d->t[i];
            if (a->b1 - a->b0 == b->b1 - b->b0 && !strncasecmp(d->text + a->b0, d->text + b->b0, (size_t)(a->b1 - a->b0))) {
                phi_mark(d, i, i, d->type[s[k].tok], "rule:same-name", -1);
                break;
            }
        }
    }
    free(s);
}

/* e-mail, URL, IP: whole whitespace-free chunks */
static void phi_rule_chunks(PhiDoc *d) {
    const char *s = d->text;
    size_t len = d->len, i = 0;
    int tk = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        size_t a = i;
        while (i < len && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        size_t b = i;
        while (a < b && strchr("(<[\"'", s[a])) a++;
        while (b > a && strchr(".,;:)>]\"'!?", s[b - 1])) b--;
        if (b - a < 4) continue;
        const char *at = memchr(s + a, '@', b - a);
        int type = 0;
        const char *src = NULL;
        if (at && at > s + a) {
            const char *dot = memchr(at, '.', (size_t)(s + b - at));
            if (dot && dot > at + 1 && dot < s + b - 1) { type = PT_EMAIL; src = "rule:email"; }
        }
        if (!type && ((b - a > 7 && (!strncasecmp(s + a, "http://", 7) || !strncasecmp(s + a, "https://", 8) || !strncasecmp(s + a, "ftp://", 6))) ||
                      (b - a > 4 && !strncasecmp(s + a, "www.", 4)))) { type = PT_URL; src = "rule:url"; }
        if (!type && memchr(s + a, '.', b - a)) {
            static const char *tld[] = {".com", ".org", ".net", ".edu", ".gov", ".io", ".co.uk", ".org.uk", ".nhs.uk", ".ac.uk", ".info", ".us"};
            for (size_t k = 0; k < sizeof tld / sizeof tld[0] && !type; k++) {
                size_t n = strlen(tld[k]);
                for (size_t p = a + 1; p + n <= b; p++) {
                    if (!strncasecmp(s + p, tld[k], n) && (p + n == b || s[p + n] == '/' || s[p + n] == ':')) {
                        int alnum_before = isalnum((unsigned char)s[p - 1]);
                        if (alnum_before) { type = PT_URL; src = "rule:url"; }
                        break;
                    }
                }
            }
        }
        if (!type) { /* IPv4 */
            int parts = 0, v = -1, ok = 1;
            for (size_t p = a; p < b && ok; p++) {
                if (isdigit((unsigned char)s[p])) { v = (v < 0 ? 0 : v) * 10 + (s[p] - '0'); if (v > 255) ok = 0; }
                else if (s[p] == '.' && v >= 0) { parts++; v = -1; }
                else if (s[p] == ':' && parts == 3 && v >= 0) break;
                else ok = 0;
            }
            if (ok && parts == 3 && v >= 0) { type = PT_IP; src = "rule:ip-address"; }
        }
        if (!type) continue;
        while (tk < d->n && (size_t)d->t[tk].b1 <= a) tk++;
        int first = tk, last = -1;
        for (int k = tk; k < d->n && (size_t)d->t[k].b0 < b; k++) last = k;
        if (last >= first) phi_mark(d, first, last, type, src, -1);
    }
}

/* Turn marked tokens into spans: neighbours of one type on one line join (a name's
 * space, a date's '/'). */
static void phi_emit(const PhiDoc *d, SrSpans *out) {
    int i = 0;
    while (i < d->n) {
        if (!d->type[i] || (!d->r->extras && phi_type_is_extra(d->type[i]))) { i++; continue; }
        int j = i;
        while (j + 1 < d->n && d->type[j + 1] == d->type[i] && !d->t[j + 1].nl) j++;
        /* trailing punctuation is not part of the identifier, except an initial's '.' */
        while (j > i && d->t[j].kind == TK_PUNCT && !(d->t[j].ch == '.' && phi_initial(d, j - 1)) && d->t[j].ch != ')') j--;
        if (d->t[j].kind == TK_PUNCT && d->t[j].ch == ')') {
            int open = 0;
            for (int k = i; k < j; k++) if (phi_punct(d, k, '(')) open = 1;
            if (!open && j > i) j--;
        }
        out->span = grow(out->span, &out->cap, out->n + 1, sizeof(SrSpan));
        SrSpan *s = &out->span[out->n++];
        memset(s, 0, sizeof *s);
        s->byte_start = d->t[i].b0;
        s->byte_end = d->t[j].b1;
        s->cp_start = d->t[i].c0;
        s->cp_end = d->t[j].c1;
        /* "Dr White's order": the possessive 's is not part of the name */
        const char *e = d->text + d->t[j].b1;
        int ty = d->type[i];
        if (d->t[j].kind == TK_WORD && (phi_is_name_type(ty) || ty == PT_LOCATION || ty == PT_CITY) &&
            d->t[j].b1 - d->t[j].b0 > 3 && (e[-1] == 's' || e[-1] == 'S')) {
            if (e[-2] == '\'') { s->byte_end -= 2; s->cp_end -= 2; }
            else if ((unsigned char)e[-2] == 0x99 && (unsigned char)e[-3] == 0x80 && (unsigned char)e[-4] == 0xE2) { s->byte_end -= 4; s->cp_end -= 2; }
        }
        s->action = SR_ACT_PHI;
        snprintf(s->category, sizeof s->category, "%s", phi_type_name[d->type[i]]);
        int tg = d->trig[i];
        if (tg >= 0 && tg < d->n && d->t[tg].b1 - d->t[tg].b0 < 24) {
            char w[32];
            int n = d->t[tg].b1 - d->t[tg].b0;
            for (int k = 0; k < n; k++) w[k] = (char)tolower((unsigned char)d->text[d->t[tg].b0 + k]);
            w[n] = 0;
            snprintf(s->source, sizeof s->source, "%s/%s", d->src[i], w);
        } else {
            snprintf(s->source, sizeof s->source, "%s", d->src[i]);
        }
        s->score = 1.0f;
        i = j + 1;
        while (i < d->n && d->type[i] == d->type[j] && i <= j) i++;
    }
}

int sr_phi_find(const SrPhiRules *r, const char *text, size_t len, SrSpans *out, char *err) {
    if (!r) return sr_fail(err, "no PHI rules loaded");
    if (len > 0x7fffffff) return sr_fail(err, "text too long (%zu bytes)", len);
    PhiDoc d;
    memset(&d, 0, sizeof d);
    d.r = r;
    d.text = text;
    d.len = len;
    if (phi_tokenize(&d, err) < 0) { free(d.t); return -1; }
    d.type = xcalloc((size_t)d.n + 1, 1);
    d.src = xcalloc((size_t)d.n + 1, sizeof *d.src);
    d.trig = xmalloc(((size_t)d.n + 1) * sizeof *d.trig);
    for (int i = 0; i < d.n; i++) d.trig[i] = -1;
    /* most specific first: a token keeps the first type it gets */
    phi_rule_chunks(&d);
    phi_rule_headers(&d);
    phi_rule_phone_shapes(&d);
    phi_rule_context_numbers(&d);
    phi_rule_numeric_dates(&d);
    phi_rule_odd_dates(&d);
    phi_rule_written_dates(&d);
    phi_rule_ages(&d);
    phi_rule_zip(&d);
    phi_rule_streets(&d);
    phi_rule_address_blocks(&d);
    phi_rule_devotional_hospitals(&d);
    phi_rule_practices(&d);
    phi_rule_long_numbers(&d);
    phi_rule_age_subject(&d);
    phi_rule_name_cues(&d);
    phi_rule_titles(&d);
    phi_rule_credentials(&d);
    phi_rule_relatives(&d);
    phi_rule_roles(&d);
    phi_rule_initial_name(&d);
    phi_rule_name_from_department(&d);
    phi_rule_name_before_phone(&d);
    phi_rule_aware(&d);
    phi_rule_signature_line(&d);
    phi_rule_family_name(&d);
    phi_rule_hospitals(&d);
    phi_rule_saints(&d);
    phi_rule_university(&d);
    phi_rule_places(&d);
    phi_rule_unit_names(&d);
    phi_rule_hospital_acronyms(&d);
    phi_rule_place_shapes(&d);
    phi_rule_clinician_from(&d);
    phi_rule_named_houses(&d);
    phi_rule_employer(&d);
    phi_rule_wards(&d);
    phi_rule_same_name(&d);
    phi_rule_lexicon_names(&d);
    phi_rule_name_neighbours(&d);
    phi_rule_years(&d);
    phi_rule_professions(&d);
    phi_emit(&d, out);
    free(d.t);
    free(d.type);
    free(d.src);
    free(d.trig);
    return 0;
}

/* ---- sr deid ---- */

/* Why a rule fired, in words, for --explain. Quotes only the context word (Dr, wife,
 * MRN), never the PHI itself. */
static const char *phi_reason(const char *source) {
    static const struct { const char *rule, *why; } reasons[] = {
        {"rule:title", "a name after a title"},
        {"rule:credential", "a name before a professional credential"},
        {"rule:relative", "a name beside a family/relation word"},
        {"rule:clinician-role", "a name after a clinician's role word"},
        {"rule:header-field", "the value of a header field"},
        {"rule:same-name", "the same word was called a name elsewhere in the text"},
        {"rule:name-neighbour", "a name-like word next to a name"},
        {"rule:initial-name", "an initial and a listed name"},
        {"rule:told-name", "a listed name before aware/notified/paged"},
        {"rule:signature-line", "a name alone on the last line (a signature)"},
        {"rule:name-pair", "a listed first name and a surname or unknown word after it"},
        {"rule:name-from-department", "a name before 'from' + a department (from case management)"},
        {"rule:name-in-brackets", "a listed first name alone in brackets"},
        {"rule:age-subject", "the capitalised subject of 'is a NN-year-old' (the patient)"},
        {"rule:name-cue", "a listed name after 'message for', 'report to', 'name is'"},
        {"rule:family-name", "a listed surname before 'family'"},
        {"rule:name-before-phone", "a name right before a telephone word"},
        {"lexicon:firstnames", "in the first-name list and not in the safe word list"},
        {"lexicon:surnames", "in the surname list and not in the safe word list"},
        {"lexicon:site", "in a site lexicon (--lexicon)"},
        {"rule:date-numeric", "a valid numeric date, not a dose, ratio or vital sign"},
        {"rule:date-after-context", "a short numeric date after a date word"},
        {"rule:date-written", "a written date (month name)"},
        {"rule:weekday", "a day of the week"},
        {"rule:holiday", "a holiday (a date element)"},
        {"rule:year", "a year (masked as an extra)"},
        {"rule:year-apostrophe", "an abbreviated year like '92 (masked as an extra)"},
        {"rule:year-decade", "a decade like 1980s (masked as an extra)"},
        {"rule:year-of-birth", "a year tied to birth"},
        {"rule:year-in-history", "a two-digit year after a procedure in a past-history list (extra)"},
        {"rule:university", "a university (hospital) name"},
        {"rule:age-over-89", "an age over 89"},
        {"rule:phone-shape", "the shape of a telephone number"},
        {"rule:phone-context", "a number after a telephone/pager word"},
        {"rule:nhs-number", "a 10-digit number after NHS"},
        {"rule:ssn-shape", "the shape of a social security number"},
        {"rule:id-context", "a number after an identifier word"},
        {"rule:number-sign", "a number after '#'"},
        {"rule:long-number", "a long number (7+ digits, or 5+ digits with letters)"},
        {"rule:email", "an e-mail address"},
        {"rule:url", "a web address"},
        {"rule:ip-address", "an IP address"},
        {"rule:zip-after-state", "a ZIP code after a state"},
        {"rule:city-before-state", "a city before a state and ZIP"},
        {"rule:uk-postcode", "the shape of a UK postcode"},
        {"rule:address-line", "the words of an address line that ends in a postcode"},
        {"rule:street-address", "a house number and a street word"},
        {"rule:po-box", "a post-office box"},
        {"rule:hospital-name", "the name before a hospital word (extra)"},
        {"rule:place-after-movement", "a place after transferred/admitted/sent to or from"},
        {"rule:place-of-residence", "a place after lives/resides in"},
        {"rule:city-lexicon", "a US city (ZIP database) after in/from/of or before a state"},
        {"rule:unit-name", "an unknown word before a small number (a ward or unit name)"},
        {"rule:hospital-before-er", "a name before ER/EW after to/from/at"},
        {"rule:hospital-acronym", "a hospital-like acronym (..H, ..MC) after at/to/from/by or before ER"},
        {"rule:employer", "an employer after CEO of / works for / employed by"},
        {"rule:named-house", "a surname before House / Manor / Lodge (a residence)"},
        {"rule:clinician-from", "a capitalised place after a clinician + from (surgeon from X)"},
        {"rule:place-area", "a place name before area/county after in/from"},
        {"rule:practice-name", "the name before Surgery / Family Medicine / Health Centre (extra)"},
        {"rule:devotional-hospital", "a devotional hospital name (Holy Cross, Sacred Heart)"},
        {"rule:saint-name", "a saint's name (a hospital)"},
        {"rule:ward-room", "a ward, room or bed number (extra)"},
        {"lexicon:professions", "an occupation (extra)"},
    };
    size_t n = strcspn(source, "/");
    for (size_t k = 0; k < sizeof reasons / sizeof reasons[0]; k++)
        if (strlen(reasons[k].rule) == n && !strncmp(reasons[k].rule, source, n)) return reasons[k].why;
    return "";
}

/* text[a..b) with every code point but whitespace replaced by '*' (length kept in code points) */
static void phi_put_stars(FILE *f, const char *text, size_t len, size_t a, size_t b, int flat) {
    size_t i = a;
    while (i < b) {
        unsigned char c = (unsigned char)text[i];
        size_t j = i;
        if (utf8_decode((const unsigned char *)text, len, &j) < 0 || j == i) j = i + 1;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') fputc(flat ? ' ' : c, f);
        else fputc('*', f);
        i = j;
    }
}

static void phi_put_masked(FILE *f, const char *text, size_t len, const SrSpans *sp, int keep_length) {
    size_t pos = 0;
    for (int k = 0; k < sp->n; k++) {
        const SrSpan *s = &sp->span[k];
        if ((size_t)s->byte_start < pos) continue;
        fwrite(text + pos, 1, (size_t)s->byte_start - pos, f);
        if (keep_length) {
            phi_put_stars(f, text, len, (size_t)s->byte_start, (size_t)s->byte_end, 0);
        } else {
            fprintf(f, "[**%s**]", s->category);
        }
        pos = (size_t)s->byte_end;
    }
    fwrite(text + pos, 1, len - pos, f);
}

/* masked text as a malloc'd string (for JSON output) */
static char *phi_masked_string(const char *text, size_t len, const SrSpans *sp, int keep_length, size_t *out_len) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) { fprintf(stderr, "sr: out of memory\n"); exit(2); }
    phi_put_masked(f, text, len, sp, keep_length);
    fclose(f);
    *out_len = n;
    return buf;
}

/* i2b2 2014 tag and TYPE for our types */
static void phi_i2b2_tag(const char *cat, const char **tag, const char **type) {
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

static void xml_put(FILE *f, const char *s, size_t n, int cdata) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (cdata && c == ']' && i + 2 < n && s[i + 1] == ']' && s[i + 2] == '>') { fputs("]]]]><![CDATA[>", f); i += 2; continue; }
        if (!cdata && c == '&') fputs("&amp;", f);
        else if (!cdata && c == '<') fputs("&lt;", f);
        else if (!cdata && c == '>') fputs("&gt;", f);
        else if (!cdata && c == '"') fputs("&quot;", f);
        else fputc(c, f);
    }
}


/* ----------------------------------------------------------- end of the PHI rules */

/* ================================================================================
 * Token classification decoding, medical entities, eligibility, the Masker
 * ================================================================================ */

/* ---- Token classification decoding --------------------------------------------
 * The semantics of Hugging Face's TokenClassificationPipeline (transformers 4.x):
 *   scores     softmax of each token's logits ([CLS]/[SEP] are skipped);
 *   is_subword a token whose vocabulary text and original text differ in length
 *              (the "##" prefix makes them differ); an [UNK] token is never a subword
 *              and its word is the original text;
 *   none       one entity per token: argmax label, its probability, token index;
 *   simple     the "none" entities grouped by group_entities (below), score = mean;
 *   first      word level (a word = a token and the subwords after it): label of the
 *              first piece;  average: argmax of the mean piece probabilities;
 *              max: the label of the piece with the highest probability; then grouped;
 *   grouping   a new group starts unless the tag equals the previous one and the
 *              label is not B- ("B-X" and "I-X" have tag X, an unprefixed label is its
 *              own tag and continues); entity_group = label after its first '-';
 *   words      tokens joined by the WordPiece decoder ("##" glued, else a space;
 *              " ." " ," " ?" " !" lose their space);
 *   "O"        entities and groups labelled O are dropped.
 * BIOES / BILOU label sets (some label starts with S- and some with E-, or U- and L-):
 * Hugging Face treats S-X and E-X as foreign tags, which splits every B-X E-X pair.
 * sr instead groups them as the scheme means: E-X (L-X) continues a group of tag X and
 * closes it, S-X (U-X) is a group of its own. For BIO and plain labels the result is
 * exactly Hugging Face's. Offsets are code points (start/end) and bytes. */

enum { NER_AGG_NONE, NER_AGG_SIMPLE, NER_AGG_FIRST, NER_AGG_AVERAGE, NER_AGG_MAX };
static const char *const ner_agg_names[] = {"none", "simple", "first", "average", "max"};

static int ner_agg_parse(const char *s) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, ner_agg_names[i])) return i;
    return -1;
}

typedef struct {
    char label[64]; /* "entity" (none, or word level before grouping) or "entity_group" */
    float score;
    int index;      /* token position, [CLS] = 0 (aggregation none), else -1 */
    int byte_start, byte_end, cp_start, cp_end;
    char *word;     /* malloc'd */
} NerEntity;

typedef struct {
    NerEntity *e;
    int n, cap;
} NerEntities;

static void ner_entities_clear(NerEntities *es) {
    for (int i = 0; i < es->n; i++) free(es->e[i].word);
    es->n = 0;
}
static void ner_entities_free(NerEntities *es) {
    ner_entities_clear(es);
    free(es->e);
    memset(es, 0, sizeof *es);
}
static NerEntity *ner_entity_push(NerEntities *es) {
    es->e = grow(es->e, &es->cap, es->n + 1, sizeof *es->e);
    NerEntity *e = &es->e[es->n++];
    memset(e, 0, sizeof *e);
    e->index = -1;
    return e;
}

/* Everything the decoder looks at; it never runs a model (testable on its own). */
typedef struct {
    const SrToken *tok;
    int n;                    /* tokens, including [CLS]/[SEP] (word == -1: skipped) */
    const char *const *piece; /* vocabulary text of each token */
    const float *logits;      /* [n][n_labels] */
    int n_labels;
    const char *const *labels; /* id2label */
    const char *text;          /* the original text (for [UNK] words) */
    size_t len;
    int unk_id;
} NerInput;

/* A growable string. */
typedef struct {
    char *s;
    int n, cap;
} NerStr;

static void nstr_add(NerStr *b, const char *s, int n) {
    b->s = grow(b->s, &b->cap, b->n + n + 1, 1);
    memcpy(b->s + b->n, s, (size_t)n);
    b->n += n;
    b->s[b->n] = 0;
}
static void nstr_adds(NerStr *b, const char *s) { nstr_add(b, s, (int)strlen(s)); }
static char *nstr_take(NerStr *b) {
    if (!b->s) nstr_add(b, "", 0);
    char *s = b->s;
    memset(b, 0, sizeof *b);
    return s;
}

static int utf8_count(const char *s, size_t n) {
    int c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Hugging Face tokenizers' WordPiece decoder (prefix "##", cleanup on): token i > 0
 * loses its "##" or gains a leading space; then each token is cleaned up. */
static char *ner_wordpiece_decode(const char *const *toks, int n) {
    static const char *const from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " do not", " 's", " 've", " 're"};
    static const char *const to[] = {".", "?", "!", ",", "'", "n't", "'m", " don't", "'s", "'ve", "'re"};
    NerStr out = {0};
    for (int i = 0; i < n; i++) {
        NerStr t = {0};
        if (i > 0 && !strncmp(toks[i], "##", 2)) nstr_adds(&t, toks[i] + 2);
        else {
            if (i > 0) nstr_add(&t, " ", 1);
            nstr_adds(&t, toks[i]);
        }
        for (int r = 0; r < 11; r++) { /* str.replace(from, to), in Rust's order */
            const char *f = from[r];
            size_t fl = strlen(f);
            char *hit = strstr(t.s, f);
            if (!hit) continue;
            NerStr u = {0};
            const char *p = t.s;
            while ((hit = strstr(p, f))) {
                nstr_add(&u, p, (int)(hit - p));
                nstr_adds(&u, to[r]);
                p = hit + fl;
            }
            nstr_adds(&u, p);
            free(t.s);
            t = u;
        }
        nstr_add(&out, t.s, t.n);
        free(t.s);
    }
    return nstr_take(&out);
}

/* BIOES / BILOU label set? */
static int ner_labels_bioes(const char *const *labels, int n) {
    int s = 0, e = 0, u = 0, l = 0;
    for (int i = 0; i < n; i++) {
        const char *x = labels[i];
        if (x[0] && x[1] == '-') {
            s |= x[0] == 'S';
            e |= x[0] == 'E';
            u |= x[0] == 'U';
            l |= x[0] == 'L';
        }
    }
    return (s && e) || (u && l);
}

/* Hugging Face's get_tag, with the BIOES extension: *bi is B, I, E (ends) or S. */
static const char *ner_tag(const char *label, int bioes, char *bi) {
    if (label[0] && label[1] == '-') {
        char c = label[0];
        if (c == 'B' || c == 'I') { *bi = c; return label + 2; }
        if (bioes && (c == 'E' || c == 'L')) { *bi = 'E'; return label + 2; }
        if (bioes && (c == 'S' || c == 'U')) { *bi = 'S'; return label + 2; }
    }
    *bi = 'I';
    return label;
}

static int ner_argmax(const float *p, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[best]) best = i; /* first maximum, as numpy's argmax */
    return best;
}

/* One group of consecutive entities -> an entity_group (Hugging Face's
 * group_sub_entities: label after the first '-', mean score, decoded words). */
static void ner_group_push(NerEntities *out, const NerEntity *g, int n) {
    NerEntity *e = ner_entity_push(out);
    const char *dash = strchr(g[0].label, '-');
    snprintf(e->label, sizeof e->label, "%s", dash ? dash + 1 : g[0].label);
    double sum = 0;
    const char **words = xmalloc((size_t)n * sizeof *words);
    for (int i = 0; i < n; i++) {
        sum += g[i].score;
        words[i] = g[i].word;
    }
    e->score = (float)(sum / n);
    e->word = ner_wordpiece_decode(words, n);
    free(words);
    e->byte_start = g[0].byte_start;
    e->cp_start = g[0].cp_start;
    e->byte_end = g[n - 1].byte_end;
    e->cp_end = g[n - 1].cp_end;
}

/* Decode logits into entities (appended to out). agg: NER_AGG_*. group: for the word
 * strategies, 0 stops at word level (one entity per word: what a POS tagger needs).
 * keep_o: keep entities labelled O (dropped by Hugging Face's ignore_labels). */
static int ner_decode(const NerInput *in, int agg, int group, int keep_o, NerEntities *out, char *err) {
    int L = in->n_labels;
    if (L < 1) return sr_fail(err, "the model has no classification labels");
    int bioes = ner_labels_bioes(in->labels, L);
    float *prob = xmalloc((size_t)in->n * L * sizeof *prob);
    int *sub = xcalloc((size_t)in->n, sizeof *sub);
    char **word = xcalloc((size_t)in->n, sizeof *word);
    NerEntities items = {0};
    int ok = 0;

    /* gather_pre_entities: probabilities, words, is_subword */
    for (int i = 0; i < in->n; i++) {
        const SrToken *t = &in->tok[i];
        if (t->word < 0) continue;
        const float *z = in->logits + (size_t)i * L;
        float *p = prob + (size_t)i * L;
        float mx = z[0];
        for (int k = 1; k < L; k++) mx = z[k] > mx ? z[k] : mx;
        float sum = 0;
        for (int k = 0; k < L; k++) { p[k] = expf(z[k] - mx); sum += p[k]; }
        for (int k = 0; k < L; k++) p[k] /= sum;
        if (t->byte_start < 0 || t->byte_end < t->byte_start || (size_t)t->byte_end > in->len) {
            sr_fail(err, "token %d has offsets outside the text", i);
            goto done;
        }
        if (t->id == in->unk_id) {
            size_t n = (size_t)(t->byte_end - t->byte_start);
            word[i] = xmalloc(n + 1);
            memcpy(word[i], in->text + t->byte_start, n);
            word[i][n] = 0;
            sub[i] = 0;
        } else {
            const char *pc = in->piece[i];
            word[i] = xmalloc(strlen(pc) + 1);
            strcpy(word[i], pc);
            sub[i] = utf8_count(pc, strlen(pc)) != t->cp_end - t->cp_start;
        }
    }

    if (agg == NER_AGG_NONE || agg == NER_AGG_SIMPLE) {
        for (int i = 0; i < in->n; i++) {
            const SrToken *t = &in->tok[i];
            if (t->word < 0) continue;
            const float *p = prob + (size_t)i * L;
            int k = ner_argmax(p, L);
            NerEntity *e = ner_entity_push(&items);
            snprintf(e->label, sizeof e->label, "%s", in->labels[k]);
            e->score = p[k];
            e->index = i;
            e->word = word[i];
            word[i] = NULL;
            e->byte_start = t->byte_start; e->byte_end = t->byte_end;
            e->cp_start = t->cp_start; e->cp_end = t->cp_end;
        }
    } else {
        /* aggregate_words: a word = a non-subword token and the subwords after it
         * (the first token is a word start whatever it looks like, as in HF) */
        const char **pieces = xmalloc((size_t)in->n * sizeof *pieces);
        double *avg = xmalloc((size_t)L * sizeof *avg);
        float *avgf = xmalloc((size_t)L * sizeof *avgf);
        int i = 0;
        while (i < in->n) {
            if (in->tok[i].word < 0) { i++; continue; }
            int j = i + 1;
            while (j < in->n && in->tok[j].word >= 0 && sub[j]) j++;
            /* tokens i..j-1 form one word */
            int np = 0;
            for (int k = i; k < j; k++) pieces[np++] = word[k];
            NerEntity *e = ner_entity_push(&items);
            int lab;
            float score;
            if (agg == NER_AGG_FIRST) {
                const float *p = prob + (size_t)i * L;
                lab = ner_argmax(p, L);
                score = p[lab];
            } else if (agg == NER_AGG_MAX) {
                int best = i;
                float bestv = -1;
                for (int k = i; k < j; k++) {
                    const float *p = prob + (size_t)k * L;
                    float v = p[ner_argmax(p, L)];
                    if (v > bestv) { bestv = v; best = k; }
                }
                const float *p = prob + (size_t)best * L;
                lab = ner_argmax(p, L);
                score = p[lab];
            } else {
                for (int c = 0; c < L; c++) avg[c] = 0;
                for (int k = i; k < j; k++)
                    for (int c = 0; c < L; c++) avg[c] += prob[(size_t)k * L + c];
                for (int c = 0; c < L; c++) avgf[c] = (float)(avg[c] / (j - i));
                lab = ner_argmax(avgf, L);
                score = avgf[lab];
            }
            snprintf(e->label, sizeof e->label, "%s", in->labels[lab]);
            e->score = score;
            e->word = ner_wordpiece_decode(pieces, np);
            e->byte_start = in->tok[i].byte_start; e->cp_start = in->tok[i].cp_start;
            e->byte_end = in->tok[j - 1].byte_end; e->cp_end = in->tok[j - 1].cp_end;
            i = j;
        }
        free(pieces);
        free(avg);
        free(avgf);
    }

    if (agg == NER_AGG_NONE || !group) {
        for (int i = 0; i < items.n; i++) {
            if (!keep_o && !strcmp(items.e[i].label, "O")) continue;
            NerEntity *e = ner_entity_push(out);
            *e = items.e[i];
            items.e[i].word = NULL;
        }
    } else {
        /* group_entities */
        int g0 = 0;
        for (int i = 1; i <= items.n; i++) {
            int join = 0;
            if (i < items.n) {
                char bi, lbi;
                const char *tag = ner_tag(items.e[i].label, bioes, &bi);
                const char *ltag = ner_tag(items.e[i - 1].label, bioes, &lbi);
                join = !strcmp(tag, ltag) && (bi == 'I' || bi == 'E') && lbi != 'E' && lbi != 'S';
            }
            if (join) continue;
            if (i > g0) {
                int before = out->n;
                ner_group_push(out, items.e + g0, i - g0);
                if (!keep_o && !strcmp(out->e[before].label, "O")) {
                    free(out->e[before].word);
                    out->n = before;
                }
            }
            g0 = i;
        }
    }
    ok = 1;
done:
    for (int i = 0; i < in->n; i++) free(word[i]);
    free(word);
    free(sub);
    free(prob);
    ner_entities_free(&items);
    return ok ? 0 : -1;
}

/* ---- Running a token classification model over a whole document ----------------
 * A document longer than the window is cut into windows of `window` positions
 * ([CLS] + up to window-2 tokens + [SEP]); consecutive windows share `overlap` tokens
 * (Hugging Face's "stride") and the last window ends at the last token. Each token takes
 * its logits from the window where it sits furthest from an edge (the earlier window on
 * a tie), so every token sees context on both sides. */

typedef struct {
    const SrModel *m;
    SrTokenizer *tok;
    SrState *st;
    int window, overlap;
    const char **labels;
    SrTokens tokens; /* scratch */
} NerRunner;

static void ner_runner_free(NerRunner *r) {
    sr_tokenizer_free(r->tok);
    sr_state_free(r->st);
    free(r->labels);
    sr_tokens_free(&r->tokens);
    memset(r, 0, sizeof *r);
}

/* window <= 0: the model's max_position; overlap < 0: a quarter of the window. */
static int ner_runner_init(NerRunner *r, const SrModel *m, int window, int overlap, char *err) {
    memset(r, 0, sizeof *r);
    const SrConfig *c = sr_config(m);
    if (!(c->flags & SR_FLAG_CLASSIFIER) || c->n_labels < 1)
        return sr_fail(err, "the model has no token classification head");
    if (c->cls_id < 0 || c->sep_id < 0) return sr_fail(err, "the model has no [CLS]/[SEP] token");
    if (window <= 0) window = c->max_position;
    if (window > c->max_position) return sr_fail(err, "--window %d is more than the model's %d positions", window, c->max_position);
    if (window < 3) return sr_fail(err, "--window %d is too small (at least 3)", window);
    if (overlap < 0) overlap = (window - 2) / 4;
    if (overlap >= window - 2) return sr_fail(err, "--stride %d must be less than the window's %d tokens", overlap, window - 2);
    r->m = m;
    r->window = window;
    r->overlap = overlap;
    r->tok = sr_tokenizer_from_model(m, err);
    if (!r->tok) return -1;
    r->st = sr_state_new(m, window);
    if (!r->st) { ner_runner_free(r); return sr_fail(err, "cannot allocate the model state"); }
    r->labels = xmalloc((size_t)c->n_labels * sizeof *r->labels);
    for (int i = 0; i < c->n_labels; i++) r->labels[i] = sr_label_name(m, i);
    return 0;
}

/* Logits [n][L] for tokens tk (with [CLS] first and [SEP] last), window by window. */
static int ner_window_logits(const NerRunner *r, const SrTokens *tk, float *logits, char *err) {
    const SrConfig *c = sr_config(r->m);
    int L = c->n_labels, W = r->window - 2, step = W - r->overlap;
    int n_in = tk->n - 2;
    if (n_in <= 0) return 0;
    int *ids = xmalloc((size_t)r->window * sizeof *ids);
    float *wl = xmalloc((size_t)r->window * L * sizeof *wl);
    int *best = xmalloc((size_t)n_in * sizeof *best);
    for (int t = 0; t < n_in; t++) best[t] = -1;
    int s = 0, rc = 0;
    for (;;) {
        int e = s + W < n_in ? s + W : n_in, cnt = e - s;
        ids[0] = c->cls_id;
        for (int k = 0; k < cnt; k++) ids[1 + k] = tk->tok[1 + s + k].id;
        ids[cnt + 1] = c->sep_id;
        if (!sr_forward(r->m, r->st, ids, NULL, NULL, cnt + 2)) { rc = sr_fail(err, "the encoder forward failed"); break; }
        if (sr_classify_logits(r->m, r->st, wl, err) < 0) { rc = -1; break; }
        for (int k = 0; k < cnt; k++) {
            int d = k < cnt - 1 - k ? k : cnt - 1 - k;
            if (d > best[s + k]) {
                best[s + k] = d;
                memcpy(logits + (size_t)(1 + s + k) * L, wl + (size_t)(1 + k) * L, (size_t)L * sizeof *wl);
            }
        }
        if (e >= n_in) break;
        s += step;
        if (s + W > n_in) s = n_in - W;
    }
    free(ids);
    free(wl);
    free(best);
    return rc;
}

/* Tokenize, run the model window by window, decode. Entities are appended to out. */
static int ner_run(NerRunner *r, const char *text, size_t len, int agg, int group, int keep_o, NerEntities *out,
                   char *err) {
    if (sr_tokenize(r->tok, text, len, 1, &r->tokens, err) < 0) return -1;
    const SrTokens *tk = &r->tokens;
    if (tk->n < 2) return sr_fail(err, "the tokenizer did not add [CLS] and [SEP]");
    int L = sr_config(r->m)->n_labels;
    float *logits = xcalloc((size_t)tk->n * L, sizeof *logits);
    const char **piece = xmalloc((size_t)tk->n * sizeof *piece);
    for (int i = 0; i < tk->n; i++) piece[i] = sr_tokenizer_token(r->tok, tk->tok[i].id);
    int rc = ner_window_logits(r, tk, logits, err);
    if (rc == 0) {
        NerInput in = {tk->tok, tk->n, piece, logits, L, r->labels, text, len, sr_config(r->m)->unk_id};
        rc = ner_decode(&in, agg, group, keep_o, out, err);
    }
    free(piece);
    free(logits);
    return rc;
}

/* Copy "prefix" + s into dst[cap], truncating (labels and sources are short). */
static void ner_strcpy(char *dst, size_t cap, const char *prefix, const char *s) {
    size_t n = 0;
    for (; prefix && *prefix && n + 1 < cap; prefix++) dst[n++] = *prefix;
    for (; s && *s && n + 1 < cap; s++) dst[n++] = *s;
    dst[n] = 0;
}

/* ---- Spans --------------------------------------------------------------------- */

static SrSpan *ner_span_push(SrSpans *s) {
    s->span = grow(s->span, &s->cap, s->n + 1, sizeof *s->span);
    SrSpan *p = &s->span[s->n++];
    memset(p, 0, sizeof *p);
    return p;
}

static int ner_span_cmp(const void *a, const void *b) {
    const SrSpan *x = a, *y = b;
    if (x->byte_start != y->byte_start) return x->byte_start < y->byte_start ? -1 : 1;
    return x->byte_end > y->byte_end ? -1 : x->byte_end < y->byte_end; /* longer first */
}

/* A de-identification model's label -> sr's PHI type (the rules' types: phi_type_name).
 * The tag itself when it is one of them (i2b2 2014 labels mostly are), else the first
 * known word inside it, most specific first; OTHER when nothing fits. */
static const char *ner_phi_type(const char *label) {
    char up[64];
    size_t n = 0;
    for (; label[n] && n + 1 < sizeof up; n++) up[n] = (char)toupper((unsigned char)label[n]);
    up[n] = 0;
    for (int t = 1; t < PT_COUNT; t++)
        if (!strcmp(up, phi_type_name[t])) return phi_type_name[t];
    static const char *const map[][2] = {
        {"PATIENT", "PATIENT"}, {"DOCTOR", "DOCTOR"}, {"STAFF", "DOCTOR"}, {"HCW", "DOCTOR"},
        {"CLINICIAN", "DOCTOR"}, {"RELATIVE", "RELATIVE"}, {"FAMILY", "RELATIVE"}, {"HOSP", "HOSPITAL"},
        {"WARD", "WARD"}, {"ROOM", "WARD"}, {"PROFESSION", "PROFESSION"}, {"STREET", "STREET"},
        {"CITY", "CITY"}, {"COUNTY", "COUNTY"}, {"ZIP", "ZIP"}, {"POSTCODE", "ZIP"}, {"EMAIL", "EMAIL"},
        {"MAIL", "EMAIL"}, {"FAX", "FAX"}, {"PHONE", "PHONE"}, {"TEL", "PHONE"}, {"URL", "URL"},
        {"WEB", "URL"}, {"SSN", "SSN"}, {"MEDICALRECORD", "MRN"}, {"MRN", "MRN"}, {"HEALTHPLAN", "HEALTHPLAN"},
        {"ACCOUNT", "ACCOUNT"}, {"LICEN", "LICENSE"}, {"DEVICE", "DEVICE"}, {"VEHICLE", "VEHICLE"},
        {"DATE", "DATE"}, {"TIME", "DATE"}, {"YEAR", "YEAR"}, {"AGE", "AGE"}, {"NAME", "NAME"}, {"PER", "NAME"},
        {"ID", "ID"}, {"LOC", "LOCATION"}, {"ADDRESS", "LOCATION"}, {"STATE", "LOCATION"},
        {"COUNTRY", "LOCATION"}, {"ORG", "LOCATION"}, {"IP", "IP"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(up, map[i][0])) return map[i][1];
    return "OTHER";
}

/* Entities -> SR_ACT_PHI spans (source "model:LABEL"). */
static void ner_entities_to_phi(const NerEntities *es, SrSpans *out) {
    for (int i = 0; i < es->n; i++) {
        const NerEntity *e = &es->e[i];
        SrSpan *s = ner_span_push(out);
        s->byte_start = e->byte_start; s->byte_end = e->byte_end;
        s->cp_start = e->cp_start; s->cp_end = e->cp_end;
        s->action = SR_ACT_PHI;
        ner_strcpy(s->category, sizeof s->category, NULL, ner_phi_type(e->label));
        ner_strcpy(s->source, sizeof s->source, "model:", e->label);
        s->score = e->score;
    }
}

/* PHI from a de-identification NER model, for `sr deid --phi-model`: one SR_ACT_PHI span
 * per predicted entity (word-level "first" aggregation, grouped), category mapped to
 * sr's PHI types, source "model:LABEL", score the model's probability. Appends to out. */
#ifdef __GNUC__
__attribute__((unused)) /* until cmd_deid --phi-model calls it */
#endif
static int ner_phi_spans(const SrModel *m, const SrTokenizer *t, const char *text, size_t len, SrSpans *out,
                         char *err) {
    (void)t; /* the runner builds its tokenizer from the model, which is the same one */
    NerRunner r;
    if (ner_runner_init(&r, m, 0, -1, err) < 0) return -1;
    NerEntities es = {0};
    int rc = ner_run(&r, text, len, NER_AGG_FIRST, 1, 0, &es, err);
    if (rc == 0) ner_entities_to_phi(&es, out);
    ner_entities_free(&es);
    ner_runner_free(&r);
    return rc;
}

/* ---- Words ----------------------------------------------------------------------
 * A word is what the generator may replace as a whole: a maximal run of letters and
 * digits, where a single apostrophe (' or U+2019) or hyphen (- U+2010 U+2011) between two
 * such characters joins ("don't", "patient's", "follow-up", "x-ray"). Letters are ASCII
 * letters and every code point >= U+0080 except Latin-1 punctuation and symbols, general
 * punctuation, currency, arrows, maths, box drawing, CJK punctuation, full-width ASCII
 * punctuation and emoji (no Unicode tables: this is the only non-ASCII knowledge). */

typedef struct {
    int b0, b1, c0, c1; /* bytes and code points, end exclusive */
} NerWord;

static int ner_word_cp(int cp) {
    if (cp < 0x80) return isalnum(cp) != 0;
    if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    if (cp == 0xD7 || cp == 0xF7) return 0;
    if (cp >= 0x2000 && cp <= 0x2BFF) return 0; /* punctuation, currency, symbols, arrows, maths */
    if (cp >= 0x3000 && cp <= 0x303F) return 0;
    if (cp >= 0xFE30 && cp <= 0xFE4F) return 0;
    if (cp >= 0xFF00 && cp <= 0xFF0F) return 0;
    if (cp >= 0xFF1A && cp <= 0xFF20) return 0;
    if (cp >= 0xFF3B && cp <= 0xFF40) return 0;
    if (cp >= 0xFF5B && cp <= 0xFF65) return 0;
    if (cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF)) return 0;
    if (cp >= 0x1F000 && cp <= 0x1FAFF) return 0; /* emoji and pictographs */
    return 1;
}
static int ner_joiner_cp(int cp) { return cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 || cp == 0x2011; }

/* Split text into words; returns the count (words in *words, grown as needed). */
static int ner_words(const char *text, size_t len, NerWord **words, int *cap, char *err) {
    int n = 0, cpi = 0;
    size_t i = 0;
    const unsigned char *s = (const unsigned char *)text;
    int in_word = 0;
    NerWord cur = {0};
    while (i < len) {
        size_t at = i;
        int cp = utf8_decode(s, len, &i);
        if (cp < 0) return sr_fail(err, "invalid UTF-8 at byte offset %zu", at);
        int wc = ner_word_cp(cp);
        if (!wc && in_word && ner_joiner_cp(cp) && i < len) { /* joins only between word characters */
            size_t j = i;
            int next = utf8_decode(s, len, &j);
            if (next >= 0 && ner_word_cp(next)) wc = 1;
        }
        if (wc && !in_word) { in_word = 1; cur.b0 = (int)at; cur.c0 = cpi; }
        if (!wc && in_word) {
            in_word = 0;
            cur.b1 = (int)at; cur.c1 = cpi;
            *words = grow(*words, cap, n + 1, sizeof **words);
            (*words)[n++] = cur;
        }
        cpi++;
    }
    if (in_word) {
        cur.b1 = (int)len; cur.c1 = cpi;
        *words = grow(*words, cap, n + 1, sizeof **words);
        (*words)[n++] = cur;
    }
    return n;
}

/* A word's lookup form: ASCII lower case, U+2019 as ', a final 's dropped. */
static int ner_norm_word(const char *w, int n, char *out, int cap) {
    int k = 0;
    for (int i = 0; i < n && k < cap - 1; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c == 0xE2 && i + 2 < n && (unsigned char)w[i + 1] == 0x80 && (unsigned char)w[i + 2] == 0x99) {
            out[k++] = '\'';
            i += 2;
        } else out[k++] = (char)tolower(c);
    }
    if (k > 2 && out[k - 2] == '\'' && out[k - 1] == 's') k -= 2;
    out[k] = 0;
    return k;
}

/* The singular of a lower-case plural (effusions, masses, arteries, knees), or 0 when
 * the word does not look plural (the phrase lists hold singular heads). */
static int ner_singular(const char *w, int n, char *out) {
    if (n < 4 || w[n - 1] != 's' || w[n - 2] == 's' || w[n - 2] == 'u' || w[n - 2] == 'i') return 0;
    int k = n - 1;
    if (n > 4 && w[n - 2] == 'e' && w[n - 3] == 'i') { memcpy(out, w, (size_t)(n - 3)); out[n - 3] = 'y'; out[n - 2] = 0; return n - 2; }
    if (n > 4 && w[n - 2] == 'e' && (w[n - 3] == 's' || w[n - 3] == 'x' || w[n - 3] == 'z' || (w[n - 3] == 'h' && (w[n - 4] == 'c' || w[n - 4] == 's')))) k = n - 2;
    memcpy(out, w, (size_t)k);
    out[k] = 0;
    return k;
}

/* ---- Phrase lists: lower-cased phrases -> category and source -------------------- */

typedef struct {
    char **key;
    int *klen;
    unsigned char *cat, *src, *kind; /* kind: 1 = a phrase, 2 = the start of a longer one */
    int n, cap;
    int *slot; /* open addressing: entry index or -1 */
    int n_slots, max_words;
    char cats[16][24], srcs[8][64];
    int n_cats, n_srcs;
} NerLex;

enum { LEX_PHRASE = 1, LEX_PREFIX = 2 };

static uint32_t ner_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The entry for key[0..n-1], or -1. */
static int ner_lex_find(const NerLex *lx, const char *key, size_t n) {
    if (!lx->n_slots) return -1;
    uint32_t m = (uint32_t)lx->n_slots - 1;
    for (uint32_t h = ner_hash(key, n) & m;; h = (h + 1) & m) {
        int e = lx->slot[h];
        if (e < 0) return -1;
        if ((size_t)lx->klen[e] == n && !memcmp(lx->key[e], key, n)) return e;
    }
}
/* Is key a whole phrase of the list? */
static int ner_lex_phrase(const NerLex *lx, const char *key, size_t n) {
    int e = ner_lex_find(lx, key, n);
    return e >= 0 && (lx->kind[e] & LEX_PHRASE) ? e : -1;
}

static void ner_lex_rehash(NerLex *lx, int n_slots) {
    free(lx->slot);
    lx->n_slots = n_slots;
    lx->slot = xmalloc((size_t)n_slots * sizeof *lx->slot);
    for (int i = 0; i < n_slots; i++) lx->slot[i] = -1;
    uint32_t m = (uint32_t)n_slots - 1;
    for (int e = 0; e < lx->n; e++) {
        uint32_t h = ner_hash(lx->key[e], (size_t)lx->klen[e]) & m;
        while (lx->slot[h] >= 0) h = (h + 1) & m;
        lx->slot[h] = e;
    }
}

static int ner_lex_name(char (*names)[24], int *n, int max, const char *name) {
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], name)) return i;
    if (*n >= max) return 0;
    snprintf(names[*n], 24, "%s", name);
    return (*n)++;
}

/* Enter key[0..n-1] with the given kind; a phrase's category and source are those of
 * its first entry. */
static void ner_lex_put(NerLex *lx, const char *key, size_t n, int kind, int cat, int src) {
    int e = ner_lex_find(lx, key, n);
    if (e < 0) {
        int old_cap = lx->cap;
        lx->key = grow(lx->key, &lx->cap, lx->n + 1, sizeof *lx->key);
        if (lx->cap != old_cap) {
            lx->klen = xrealloc(lx->klen, (size_t)lx->cap * sizeof *lx->klen);
            lx->cat = xrealloc(lx->cat, (size_t)lx->cap);
            lx->src = xrealloc(lx->src, (size_t)lx->cap);
            lx->kind = xrealloc(lx->kind, (size_t)lx->cap);
        }
        e = lx->n++;
        lx->key[e] = xmalloc(n + 1);
        memcpy(lx->key[e], key, n);
        lx->key[e][n] = 0;
        lx->klen[e] = (int)n;
        lx->kind[e] = 0;
        if (lx->n * 2 > lx->n_slots) ner_lex_rehash(lx, lx->n_slots ? lx->n_slots * 2 : 1024); /* places e too */
        else {
            uint32_t m = (uint32_t)lx->n_slots - 1, h = ner_hash(key, n) & m;
            while (lx->slot[h] >= 0) h = (h + 1) & m;
            lx->slot[h] = e;
        }
    }
    if (kind == LEX_PHRASE && !(lx->kind[e] & LEX_PHRASE)) {
        lx->cat[e] = (unsigned char)cat;
        lx->src[e] = (unsigned char)src;
    }
    lx->kind[e] |= (unsigned char)kind;
}

/* Add a phrase (already normalised: words separated by one space) and mark each of its
 * word-level beginnings, so that matching stops as soon as no phrase can follow. */
static void ner_lex_add(NerLex *lx, const char *key, int cat, int src) {
    size_t n = strlen(key);
    if (!n) return;
    ner_lex_put(lx, key, n, LEX_PHRASE, cat, src);
    int words = 1;
    for (size_t i = 0; i < n; i++)
        if (key[i] == ' ') {
            ner_lex_put(lx, key, i, LEX_PREFIX, 0, 0);
            words++;
        }
    if (words > lx->max_words) lx->max_words = words;
}

static void ner_lex_free(NerLex *lx) {
    for (int i = 0; i < lx->n; i++) free(lx->key[i]);
    free(lx->key);
    free(lx->klen);
    free(lx->kind);
    free(lx->cat);
    free(lx->src);
    free(lx->slot);
    memset(lx, 0, sizeof *lx);
}

/* The key text between two words of a phrase: one space when only whitespace lies
 * between them, else the characters other than whitespace ("o/e", "mg/kg", "d.o.b"). */
static void ner_gap_key(const char *text, int a, int b, NerStr *key) {
    int k0 = key->n;
    for (int i = a; i < b; i++)
        if (!isspace((unsigned char)text[i])) nstr_add(key, text + i, 1);
    if (key->n == k0) nstr_add(key, " ", 1);
}

/* Load a phrase file: one phrase a line, '#' comments, "@CATEGORY" switches the
 * category of the lines after it (default: default_cat), a TAB ends the phrase (the
 * rest of the line is a comment). Each phrase is split into words exactly as the text
 * is, and normalised like them, so matching is exact. */
static int ner_lex_load(NerLex *lx, const char *path, const char *default_cat, const char *source, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    if (utf8_check(buf, len, e) < 0) { free(buf); return sr_fail(err, "%s: %s", path, e); }
    int src = 0;
    for (; src < lx->n_srcs; src++)
        if (!strcmp(lx->srcs[src], source)) break;
    if (src == lx->n_srcs && lx->n_srcs < 8) snprintf(lx->srcs[lx->n_srcs++], 64, "%s", source);
    if (src >= 8) src = 0;
    int cat = ner_lex_name(lx->cats, &lx->n_cats, 16, default_cat);
    NerWord *w = NULL;
    int wcap = 0;
    NerStr key = {0};
    char norm[256];
    size_t p = 0;
    while (p < len) {
        char *line = buf + p;
        char *nl = memchr(line, '\n', len - p);
        size_t n = nl ? (size_t)(nl - line) : len - p;
        p += n + 1;
        if (n && line[n - 1] == '\r') n--;
        const char *tab = memchr(line, '\t', n);
        if (tab) n = (size_t)(tab - line);
        if (!n || line[0] == '#') continue;
        if (line[0] == '@') {
            char name[24];
            snprintf(name, sizeof name, "%.*s", (int)(n - 1 < 23 ? n - 1 : 23), line + 1);
            cat = ner_lex_name(lx->cats, &lx->n_cats, 16, name);
            continue;
        }
        int nw = ner_words(line, n, &w, &wcap, e);
        if (nw <= 0) continue;
        key.n = 0;
        for (int k = 0; k < nw; k++) {
            int m = ner_norm_word(line + w[k].b0, w[k].b1 - w[k].b0, norm, sizeof norm);
            if (k) ner_gap_key(line, w[k - 1].b1, w[k].b0, &key);
            nstr_add(&key, norm, m);
        }
        ner_lex_add(lx, key.s, cat, src);
        if (memchr(key.s, '-', (size_t)key.n)) { /* "bundle-branch block" also as "bundle branch block" */
            for (int k = 0; k < key.n; k++)
                if (key.s[k] == '-') key.s[k] = ' ';
            ner_lex_add(lx, key.s, cat, src);
        }
    }
    free(key.s);
    free(w);
    free(buf);
    return 0;
}

/* The longest phrase of lx that starts at word i (its words separated as the phrase's
 * are: whitespace, or the same punctuation): returns its word count (0: none) and
 * its entry in *entry. key is scratch. */
static int ner_lex_longest(const NerLex *lx, const char *text, const NerWord *w, int nw, int i, NerStr *key, int *entry) {
    char norm[256];
    int hk = 0;
    key->n = 0;
    *entry = -1;
    for (int k = 0; k < lx->max_words && i + k < nw; k++) {
        if (k) {
            if (w[i + k].b0 - w[i + k - 1].b1 > 8) break; /* a phrase's gaps are short */
            ner_gap_key(text, w[i + k - 1].b1, w[i + k].b0, key);
        }
        int m = ner_norm_word(text + w[i + k].b0, w[i + k].b1 - w[i + k].b0, norm, sizeof norm), k0 = key->n;
        nstr_add(key, norm, m);
        int e = ner_lex_find(lx, key->s, (size_t)key->n);
        if (e < 0) { /* a plural of a listed phrase's word: "pleural effusions" */
            char one[256];
            int n1 = ner_singular(norm, m, one);
            if (!n1) break;
            key->n = k0;
            nstr_add(key, one, n1);
            if ((e = ner_lex_find(lx, key->s, (size_t)key->n)) < 0) break;
        }
        if (lx->kind[e] & LEX_PHRASE) { *entry = e; hk = k + 1; } /* keep the longest */
        if (!(lx->kind[e] & LEX_PREFIX)) break;
    }
    return hk;
}

/* ---- Data files ------------------------------------------------------------------
 * data_dir given: only there. Otherwise, in order: $SR_DATA, data/ beside the binary,
 * ../../data from the binary (test binaries live in test/out/), ../data. */
static int ner_data_file(const char *data_dir, const char *name, char *out, size_t cap, char *err) {
    char dirs[4][4096];
    int nd = 0;
    if (data_dir) snprintf(dirs[nd++], sizeof dirs[0], "%s", data_dir);
    else {
        const char *env = getenv("SR_DATA");
        if (env && *env) snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
        char exe[4000];
        exe_dir(exe, sizeof exe);
        snprintf(dirs[nd++], sizeof dirs[0], "%s/data", exe);
        snprintf(dirs[nd++], sizeof dirs[0], "%s/../../data", exe);
        snprintf(dirs[nd++], sizeof dirs[0], "%s/../data", exe);
    }
    for (int i = 0; i < nd; i++) {
        if (strlen(dirs[i]) + strlen(name) + 2 > cap) continue;
        strcpy(out, dirs[i]);
        strcat(out, "/");
        strcat(out, name);
        if (access(out, R_OK) == 0) return 0;
    }
    return sr_fail(err, "data file %s not found in %s%s (set SR_DATA or --data DIR)", name, dirs[0],
                   nd > 1 ? " or the other usual places" : "");
}

/* ================================================================================
 * Part-of-speech tagger (UPOS): the Masker's default selection of NOUN/VERB/ADJ
 * ================================================================================
 * An averaged perceptron, greedy left to right, over hashed features of each token and
 * its neighbours: the word (lower case, digits as 0), its affixes, shape ("Xxx", "dd"),
 * its casing beside the casing of the 9 tokens around it (a capital counts in
 * mixed-case text, not in ALL CAPS), distributional clusters and medical-lexicon flags
 * from the file's word table, and the two tags already chosen. Trained by
 * train/train_pos.py on UD English EWT (data/pos_ewt.srp, CC BY-SA 4.0, see
 * data/LICENSE.pos_ewt); that script's static_features/dynamic_features are the
 * specification, and these functions must compute the same bytes.
 *
 * It tags tokens as given (pointer + length each), so it does not care who cut the
 * text: `sr pos --conllu` passes the FORM column, the Masker passes its words with the
 * punctuation between them (pos_tokens_of_words). File layout: train/train_pos.py and
 * sr.h (SrPos). */

#define POS_KEY_MAX 40
#define POS_SHAPE_MAX 12
#define POS_N_TEMPLATES 39
#define POS_HEADER 48
#define POS_MAX_TAGS 32

struct SrPos {
    int n_tags, weight_bytes;
    uint32_t mask;      /* buckets - 1 */
    int n_words;
    const unsigned char *words; /* n_words x (u32 crc, u32 info), sorted by crc */
    const unsigned char *weights;
    int32_t lut[256];   /* int8 codes: the value of code q is lut[q + 128] */
    char tag[POS_MAX_TAGS][9];
    char *file;         /* the whole file */
    size_t file_len;
};

static uint32_t pos_crc_table[256];

static void pos_crc_init(void) {
    if (pos_crc_table[1]) return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        pos_crc_table[i] = c;
    }
}
/* zlib's crc32, in pieces: state = ~0, feed bytes, result = ~state */
static inline uint32_t pos_crc_bytes(uint32_t c, const unsigned char *p, int n) {
    for (int i = 0; i < n; i++) c = pos_crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c;
}
static inline uint32_t pos_crc_byte(uint32_t c, unsigned char b) { return pos_crc_table[(c ^ b) & 0xFF] ^ (c >> 8); }

static uint32_t pos_u32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

void sr_pos_free(SrPos *p) {
    if (!p) return;
    free(p->file);
    free(p);
}

SrPos *sr_pos_load(const char *path, char *err) {
    pos_crc_init();
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) { sr_fail(err, "%s", e); return NULL; }
    const unsigned char *b = (const unsigned char *)buf;
    SrPos *p = xcalloc(1, sizeof *p);
    p->file = buf;
    p->file_len = len;
    if (len < POS_HEADER || memcmp(b, "SRPOS\0\0\1", 8)) { sr_fail(err, "%s: not an sr tagger file (bad magic)", path); goto fail; }
    uint32_t n_tags = pos_u32(b + 8), log2 = pos_u32(b + 12), n_words = pos_u32(b + 16), n_tpl = pos_u32(b + 20),
             wb = pos_u32(b + 24);
    if (n_tags < 2 || n_tags > POS_MAX_TAGS) { sr_fail(err, "%s: %u tags (2..%d)", path, n_tags, POS_MAX_TAGS); goto fail; }
    if (log2 < 8 || log2 > 24) { sr_fail(err, "%s: 2^%u feature buckets (2^8..2^24)", path, log2); goto fail; }
    if (n_tpl != POS_N_TEMPLATES) { sr_fail(err, "%s: %u feature templates, this sr computes %d", path, n_tpl, POS_N_TEMPLATES); goto fail; }
    if (wb != 1 && wb != 2) { sr_fail(err, "%s: weights of %u bytes (1 or 2)", path, wb); goto fail; }
    uint64_t lut_bytes = wb == 1 ? 1024 : 0;
    uint64_t need = POS_HEADER + 8ull * n_tags + lut_bytes + 8ull * n_words + ((uint64_t)1 << log2) * n_tags * wb;
    if (need != len) { sr_fail(err, "%s: %zu bytes, the header says %llu", path, len, (unsigned long long)need); goto fail; }
    p->n_tags = (int)n_tags;
    p->weight_bytes = (int)wb;
    p->mask = ((uint32_t)1 << log2) - 1;
    p->n_words = (int)n_words;
    for (uint32_t t = 0; t < n_tags; t++) {
        memcpy(p->tag[t], b + POS_HEADER + 8 * t, 8);
        p->tag[t][8] = 0;
    }
    for (int q = 0; q < 256 && lut_bytes; q++) p->lut[q] = (int32_t)pos_u32(b + POS_HEADER + 8 * n_tags + 4 * q);
    p->words = b + POS_HEADER + 8 * n_tags + lut_bytes;
    for (uint32_t i = 1; i < n_words; i++)
        if (pos_u32(p->words + 8 * i) <= pos_u32(p->words + 8 * (i - 1))) { sr_fail(err, "%s: word table not sorted at entry %u", path, i); goto fail; }
    p->weights = p->words + 8ull * n_words;
    return p;
fail:
    sr_pos_free(p);
    return NULL;
}

int sr_pos_n_tags(const SrPos *p) { return p->n_tags; }
const char *sr_pos_tag_name(const SrPos *p, int tag) { return tag >= 0 && tag < p->n_tags ? p->tag[tag] : "?"; }

/* The word table's u32 for a key (0 when absent): binary search on the crc. */
static uint32_t pos_info(const SrPos *p, const unsigned char *key, int n) {
    uint32_t h = ~pos_crc_bytes(0xFFFFFFFFu, key, n);
    int lo = 0, hi = p->n_words - 1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        uint32_t v = pos_u32(p->words + 8 * mid);
        if (v == h) return pos_u32(p->words + 8 * mid + 4);
        if (v < h) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
}

/* What the features need of one token, with the crc states of its parts (a feature's
 * hash is crc32 of its value's parts joined by 0x01, then 0x00 and the template byte:
 * so each part's state is computed once per token and shared by the templates). */
typedef struct {
    unsigned char key[POS_KEY_MAX], shape[POS_SHAPE_MAX];
    int kn, sn, cc;     /* cc: 1 = has a lower-case letter, 2 = upper case only, 0 = no letter */
    uint32_t info;      /* word table */
    unsigned char sc;   /* casing of the 9 tokens around: U, L or M */
    uint32_t c_key, c_raw, c_shape, c_pre[3], c_suf[4], c_c512, c_c64, c_lex;
} PosTok;

#define POS_CRC0 0xFFFFFFFFu
static inline uint32_t pos_fin(uint32_t c, unsigned char tpl) { return ~pos_crc_byte(pos_crc_byte(c, 0), tpl); }
static inline uint32_t pos_then(uint32_t c, const unsigned char *s, int n) { return pos_crc_bytes(pos_crc_byte(c, 1), s, n); }
static inline uint32_t pos_then_byte(uint32_t c, unsigned char b) { return pos_crc_byte(pos_crc_byte(c, 1), b); }
/* v in ASCII decimal, as Python's b"%d" */
static uint32_t pos_crc_num(uint32_t c, uint32_t v) {
    unsigned char d[12];
    int n = 0;
    do { d[11 - n++] = (unsigned char)('0' + v % 10); v /= 10; } while (v);
    return pos_crc_bytes(c, d + 12 - n, n);
}

static inline unsigned char pos_lexflags(uint32_t info) { return (unsigned char)(info & 0xFF); }
static inline uint32_t pos_c512(uint32_t info) { return (info >> 8) & 0x3FF; }
static inline uint32_t pos_c64(uint32_t info) { return (info >> 20) & 0x7F; }
static inline unsigned char pos_td(uint32_t info) { return (unsigned char)((info >> 27) | (info & 0x80 ? 32 : 0)); }

/* key, shape, casing and crc states of token w[0..n) (mark: 0, or 2 / 3 for the
 * boundary tokens before the first and after the last) */
static void pos_prepare(const SrPos *p, const char *w, int n, unsigned char mark, PosTok *t) {
    const unsigned char *s = (const unsigned char *)w;
    unsigned char raw[POS_KEY_MAX];
    int low = 0, up = 0;
    if (mark) { s = &mark; n = 1; }
    int m = n < POS_KEY_MAX ? n : POS_KEY_MAX;
    for (int i = 0; i < m; i++) {
        unsigned char c = s[i];
        raw[i] = c >= '0' && c <= '9' ? '0' : c;
        t->key[i] = c >= '0' && c <= '9' ? '0' : c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
    }
    t->kn = m;
    t->sn = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = s[i];
        low |= c >= 'a' && c <= 'z';
        up |= c >= 'A' && c <= 'Z';
        if (t->sn >= POS_SHAPE_MAX || (c >= 0x80 && c <= 0xBF)) continue;
        unsigned char k = c >= 'A' && c <= 'Z' ? 'X' : c >= 'a' && c <= 'z' ? 'x' : c >= '0' && c <= '9' ? 'd' : c >= 0x80 ? 'u' : c;
        if (t->sn >= 2 && t->shape[t->sn - 1] == k && t->shape[t->sn - 2] == k) continue;
        t->shape[t->sn++] = k;
    }
    t->cc = low ? 1 : up ? 2 : 0;
    t->c_key = pos_crc_bytes(POS_CRC0, t->key, t->kn);
    t->info = pos_info(p, t->key, t->kn);
    t->c_raw = pos_crc_bytes(POS_CRC0, raw, m);
    t->c_shape = pos_crc_bytes(POS_CRC0, t->shape, t->sn);
    uint32_t c = POS_CRC0;
    for (int k = 0; k < 3; k++) {
        if (k < t->kn) c = pos_crc_byte(c, t->key[k]);
        t->c_pre[k] = c;
    }
    for (int k = 0; k < 4; k++) {
        int q = t->kn > k + 1 ? k + 1 : t->kn;
        t->c_suf[k] = pos_crc_bytes(POS_CRC0, t->key + t->kn - q, q);
    }
    t->c_c512 = pos_crc_num(POS_CRC0, pos_c512(t->info));
    t->c_c64 = pos_crc_num(POS_CRC0, pos_c64(t->info));
    t->c_lex = pos_crc_byte(POS_CRC0, pos_lexflags(t->info));
}

/* The templates that do not depend on the tags chosen (train_pos.py static_features,
 * in its order). a, b, t, d, e: tokens i-2, i-1, i, i+1, i+2. */
static int pos_static(const PosTok *a, const PosTok *b, const PosTok *t, const PosTok *d, const PosTok *e, uint32_t *h) {
    int n = 0;
    unsigned char sc = t->sc, two[2];
    h[n++] = pos_fin(POS_CRC0, 0);
    h[n++] = pos_fin(t->c_key, 1);
    for (int k = 0; k < 4; k++) h[n++] = pos_fin(t->c_suf[k], (unsigned char)(2 + k));
    for (int k = 0; k < 3; k++) h[n++] = pos_fin(t->c_pre[k], (unsigned char)(6 + k));
    h[n++] = pos_fin(t->c_shape, 9);
    h[n++] = pos_fin(pos_then_byte(t->c_shape, sc), 10);
    h[n++] = pos_fin(b->c_key, 11);
    h[n++] = pos_fin(d->c_key, 12);
    h[n++] = pos_fin(a->c_key, 13);
    h[n++] = pos_fin(e->c_key, 14);
    h[n++] = pos_fin(b->c_suf[2], 15);
    h[n++] = pos_fin(d->c_suf[2], 16);
    h[n++] = pos_fin(b->c_shape, 17);
    h[n++] = pos_fin(d->c_shape, 18);
    h[n++] = pos_fin(pos_then(t->c_key, d->key, d->kn), 23);
    h[n++] = pos_fin(pos_then(b->c_key, t->key, t->kn), 24);
    h[n++] = pos_fin(pos_then_byte(t->c_raw, sc), 25);
    h[n++] = pos_fin(pos_then_byte(t->c_lex, sc), 26);
    two[0] = pos_lexflags(b->info); two[1] = pos_lexflags(d->info);
    h[n++] = pos_fin(pos_crc_bytes(POS_CRC0, two, 2), 27);
    h[n++] = pos_fin(pos_then_byte(t->c_suf[2], sc), 28);
    h[n++] = pos_fin(t->c_c512, 30);
    h[n++] = pos_fin(t->c_c64, 31);
    h[n++] = pos_fin(b->c_c512, 32);
    h[n++] = pos_fin(d->c_c512, 33);
    h[n++] = pos_fin(pos_crc_num(pos_crc_byte(b->c_c64, 1), pos_c64(t->info)), 34);
    two[0] = pos_td(d->info); two[1] = pos_td(e->info);
    h[n++] = pos_fin(pos_crc_byte(POS_CRC0, two[0]), 35);
    h[n++] = pos_fin(pos_crc_bytes(POS_CRC0, two, 2), 36);
    h[n++] = pos_fin(pos_crc_byte(POS_CRC0, pos_td(t->info)), 37);
    return n;
}

/* The templates over the tags chosen: t1 = previous tag + 1, t2 = the one before (0 = none). */
static int pos_dynamic(const PosTok *t, const PosTok *d, unsigned char t1, unsigned char t2, uint32_t *h) {
    int n = 0;
    uint32_t c1 = pos_crc_byte(POS_CRC0, t1);
    h[n++] = pos_fin(c1, 19);
    h[n++] = pos_fin(pos_crc_byte(POS_CRC0, t2), 20);
    h[n++] = pos_fin(pos_crc_byte(c1, t2), 21);
    h[n++] = pos_fin(pos_then(c1, t->key, t->kn), 22);
    int q = t->kn > 3 ? 3 : t->kn;
    h[n++] = pos_fin(pos_then(c1, t->key + t->kn - q, q), 29);
    h[n++] = pos_fin(pos_crc_byte(c1, pos_td(d->info)), 38);
    return n;
}

/* Tag n tokens: tag[i] = the tag index of word[0..len[i]). The scratch is the caller's
 * business only through this call (no state kept: one SrPos serves many threads). */
int sr_pos_tag(const SrPos *p, const char *const *word, const int *len, int n, unsigned char *tag, char *err) {
    if (n <= 0) return 0;
    if (n > INT32_MAX / (int)sizeof(PosTok) - 8) return sr_fail(err, "too many tokens (%d)", n);
    PosTok *tok = xmalloc((size_t)(n + 4) * sizeof *tok), *t = tok + 2; /* t[-2..n+1] */
    pos_prepare(p, NULL, 0, 2, &t[-2]);
    pos_prepare(p, NULL, 0, 2, &t[-1]);
    pos_prepare(p, NULL, 0, 3, &t[n]);
    pos_prepare(p, NULL, 0, 3, &t[n + 1]);
    for (int i = 0; i < n; i++) {
        if (len[i] < 0) { free(tok); return sr_fail(err, "token %d has a negative length", i); }
        pos_prepare(p, word[i], len[i], 0, &t[i]);
    }
    /* casing of the window i-4..i+4: running counts of lower-case and upper-only tokens */
    int low = 0, up = 0;
    for (int i = 0; i < n && i < 5; i++) { low += t[i].cc == 1; up += t[i].cc == 2; }
    for (int i = 0; i < n; i++) {
        t[i].sc = up && !low ? 'U' : !up ? 'L' : 'M';
        if (i + 5 < n) { low += t[i + 5].cc == 1; up += t[i + 5].cc == 2; }
        if (i - 4 >= 0) { low -= t[i - 4].cc == 1; up -= t[i - 4].cc == 2; }
    }
    uint32_t h[48];
    int32_t score[POS_MAX_TAGS];
    unsigned char t1 = 0, t2 = 0;
    const int T = p->n_tags;
    for (int i = 0; i < n; i++) {
        int m = pos_static(&t[i - 2], &t[i - 1], &t[i], &t[i + 1], &t[i + 2], h);
        m += pos_dynamic(&t[i], &t[i + 1], t1, t2, h + m);
#if defined(__GNUC__)
        for (int j = 0; j < m; j++) /* the rows are scattered over megabytes: ask for all of them at once */
            __builtin_prefetch(p->weights + (size_t)(h[j] & p->mask) * T * p->weight_bytes);
#endif
        for (int k = 0; k < T; k++) score[k] = 0;
        if (p->weight_bytes == 1) {
            for (int j = 0; j < m; j++) {
                const int8_t *w = (const int8_t *)(const void *)(p->weights + (size_t)(h[j] & p->mask) * T);
                for (int k = 0; k < T; k++) score[k] += p->lut[w[k] + 128];
            }
        } else {
            for (int j = 0; j < m; j++) {
                const unsigned char *w = p->weights + (size_t)(h[j] & p->mask) * T * 2;
                for (int k = 0; k < T; k++) score[k] += (int16_t)(uint16_t)(w[2 * k] | w[2 * k + 1] << 8);
            }
        }
        int best = 0;
        for (int k = 1; k < T; k++)
            if (score[k] > score[best]) best = k;
        tag[i] = (unsigned char)best;
        t2 = t1;
        t1 = (unsigned char)(best + 1);
    }
    free(tok);
    return 0;
}

/* The tagger's tokens for running text: the words, and between them each run of one
 * non-space character (", " -> ","; "..." stays whole), as train_pos.py masker_tokens.
 * word_tok[k] = the token index of word k. Returns the token count. */
static int pos_tokens_of_words(const char *text, size_t len, const NerWord *w, int nw, const char ***tp, int **tl,
                               int *cap, int *word_tok) {
    int n = 0;
    size_t prev = 0;
    for (int k = 0; k <= nw; k++) {
        size_t end = k < nw ? (size_t)w[k].b0 : len;
        size_t i = prev;
        while (i < end) { /* the gap's pieces */
            unsigned char c = (unsigned char)text[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') { i++; continue; }
            size_t j = i;
            if (utf8_decode((const unsigned char *)text, len, &j) < 0) j = i + 1; /* (the text was checked) */
            size_t cl = j - i, e = j;
            while (e + cl <= end && !memcmp(text + e, text + i, cl)) e += cl;
            int c0 = *cap;
            *tp = grow(*tp, cap, n + 1, sizeof **tp);
            if (*cap != c0) *tl = xrealloc(*tl, (size_t)*cap * sizeof **tl);
            (*tp)[n] = text + i;
            (*tl)[n++] = (int)(e - i);
            i = e;
        }
        if (k == nw) break;
        int c0 = *cap;
        *tp = grow(*tp, cap, n + 1, sizeof **tp);
        if (*cap != c0) *tl = xrealloc(*tl, (size_t)*cap * sizeof **tl);
        word_tok[k] = n;
        (*tp)[n] = text + w[k].b0;
        (*tl)[n++] = w[k].b1 - w[k].b0;
        prev = (size_t)w[k].b1;
    }
    return n;
}

/* ---- The Masker -------------------------------------------------------------------
 * For each text: PHI spans (rules, plus the de-identification model when given),
 * merged where they overlap; then medical entities to protect (medical NER model, or
 * the shipped phrase lists data/med_lexicon.txt and data/med_terms.txt matched as the
 * longest run of whole words, case-insensitively, across whitespace only); then the
 * eligible words: those whose part of speech is one of --mask-pos (NOUN, VERB, ADJ, as
 * the paper), from the POS model or else the built-in tagger (data/pos_ewt.srp), with a
 * content word's shape (at least two characters, a letter, no digit) and, for an
 * open-class tag, not a function word of data/closed_class.txt (a tagging slip).
 * PHI wins: a PHI span that cuts a word grows to cover the whole word, a word touching
 * a PHI span is neither protected nor eligible, and a protected phrase is cut around it. Short and ambiguous lexicon entries are dealt
 * with when the lexicon is built (see data/make_med_lexicon.py). */

#define NER_MAX_LABELS 32

typedef struct {
    char name[NER_MAX_LABELS][24];
    int n;
} NerLabelSet;

static void ner_labelset_parse(NerLabelSet *ls, const char *csv) {
    ls->n = 0;
    while (*csv && ls->n < NER_MAX_LABELS) {
        const char *comma = strchr(csv, ',');
        size_t n = comma ? (size_t)(comma - csv) : strlen(csv);
        while (n && isspace((unsigned char)*csv)) csv++, n--;
        while (n && isspace((unsigned char)csv[n - 1])) n--;
        if (n) snprintf(ls->name[ls->n++], 24, "%.*s", (int)(n < 23 ? n : 23), csv);
        csv += comma ? (size_t)(comma - csv) + 1 : strlen(csv);
    }
}
static int ner_labelset_has(const NerLabelSet *ls, const char *label) {
    for (int i = 0; i < ls->n; i++)
        if (!strcasecmp(ls->name[i], label)) return 1;
    return 0;
}

struct SrMasker {
    SrPhiRules *phi;
    NerRunner phi_ner, med_ner, pos_ner; /* .m == NULL when not given */
    NerLex med;                          /* phrases to protect (no medical model) */
    NerLex med_mod;                      /* laterality, severity, anatomy: grow an entity left */
    NerLex med_suf;                      /* word endings of unlisted drugs, procedures, diseases */
    NerLex structure;                    /* letter structure: labels, headers, salutations, closings */
    NerLex closed;                       /* closed-class words: never eligible (no POS model) */
    SrPos *pos;                          /* the built-in tagger (no POS model) */
    NerLabelSet med_labels, mask_pos;
    int phi_extras;
    /* scratch, reused across calls */
    NerWord *words;
    int words_cap;
    const char **tok_p; /* the tagger's tokens: words and the punctuation between them */
    int *tok_l, tok_cap, *word_tok, word_tok_cap;
    unsigned char *tags;
    SrSpans phi_spans;
    NerEntities ents;
};

void sr_masker_free(SrMasker *mk) {
    if (!mk) return;
    if (mk->phi) sr_phi_rules_free(mk->phi);
    if (mk->phi_ner.m) ner_runner_free(&mk->phi_ner);
    if (mk->med_ner.m) ner_runner_free(&mk->med_ner);
    if (mk->pos_ner.m) ner_runner_free(&mk->pos_ner);
    ner_lex_free(&mk->med);
    ner_lex_free(&mk->closed);
    ner_lex_free(&mk->structure);
    ner_lex_free(&mk->med_mod);
    ner_lex_free(&mk->med_suf);
    sr_pos_free(mk->pos);
    free(mk->tok_p);
    free(mk->tok_l);
    free(mk->word_tok);
    free(mk->tags);
    free(mk->words);
    sr_spans_free(&mk->phi_spans);
    ner_entities_free(&mk->ents);
    free(mk);
}

SrMasker *sr_masker_new(const SrMaskerOptions *opt, char *err) {
    SrMaskerOptions none = {0};
    if (!opt) opt = &none;
    SrMasker *mk = xcalloc(1, sizeof *mk);
    char path[8192];
    mk->phi_extras = !opt->no_phi_extras;
    ner_labelset_parse(&mk->med_labels, opt->med_labels ? opt->med_labels
                                                        : "PROBLEM,TEST,TREATMENT,DISEASE,DISORDER,CHEMICAL,DRUG,"
                                                          "MEDICATION,PROCEDURE,SYMPTOM,SIGN_SYMPTOM");
    ner_labelset_parse(&mk->mask_pos, opt->mask_pos ? opt->mask_pos : "NOUN,VERB,ADJ");
    if (!mk->mask_pos.n) { sr_fail(err, "--mask-pos names no part of speech"); goto fail; }
    mk->phi = sr_phi_rules_new(opt->data_dir, err);
    if (!mk->phi) goto fail;
    sr_phi_set_extras(mk->phi, mk->phi_extras);
    for (int i = 0; i < opt->n_lexicons; i++)
        if (sr_phi_add_lexicon(mk->phi, opt->lexicons[i], err) < 0) goto fail;
    if (opt->phi_model && ner_runner_init(&mk->phi_ner, opt->phi_model, 0, -1, err) < 0) goto fail;
    if (ner_data_file(opt->data_dir, "letter_structure.txt", path, sizeof path, err) < 0) goto fail;
    if (ner_lex_load(&mk->structure, path, "LABEL", "structure:letter", err) < 0) goto fail;
    for (int i = 0; i < opt->n_label_files; i++)
        if (ner_lex_load(&mk->structure, opt->label_files[i], "LABEL", "structure:labels", err) < 0) goto fail;
    if (opt->med_model) {
        if (ner_runner_init(&mk->med_ner, opt->med_model, 0, -1, err) < 0) goto fail;
    } else {
        /* hand-written lists first: a phrase in several lists takes its first type */
        static const char *const med_files[][3] = {
            {"med_drugs.txt", "TREATMENT", "lexicon:drugs"},       {"med_procedures.txt", "TEST", "lexicon:procedures"},
            {"med_findings.txt", "PROBLEM", "lexicon:findings"},   {"med_abbrev.txt", "PROBLEM", "lexicon:abbreviations"},
            {"med_sig.txt", "TREATMENT", "lexicon:dose"},          {"med_terms.txt", "PROBLEM", "lexicon:med-terms"},
            {"med_lexicon.txt", "PROBLEM", "lexicon:icd10cm"},     {"med_vocab.txt", "PROBLEM", "lexicon:disease-ontology"},
            {"med_words.txt", "TERM", "lexicon:medical-words"},
        };
        for (size_t f = 0; f < sizeof med_files / sizeof *med_files; f++) {
            if (ner_data_file(opt->data_dir, med_files[f][0], path, sizeof path, err) < 0) goto fail;
            if (ner_lex_load(&mk->med, path, med_files[f][1], med_files[f][2], err) < 0) goto fail;
        }
        if (ner_data_file(opt->data_dir, "med_modifiers.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_mod, path, "MODIFIER", "lexicon:modifiers", err) < 0) goto fail;
        if (ner_data_file(opt->data_dir, "med_suffixes.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->med_suf, path, "PROBLEM", "lexicon:word-ending", err) < 0) goto fail;
    }
    if (opt->pos_model) {
        if (ner_runner_init(&mk->pos_ner, opt->pos_model, 0, -1, err) < 0) goto fail;
    } else {
        if (ner_data_file(opt->data_dir, "closed_class.txt", path, sizeof path, err) < 0) goto fail;
        if (ner_lex_load(&mk->closed, path, "CLOSED", "closed-class", err) < 0) goto fail;
        if (opt->pos_tagger) snprintf(path, sizeof path, "%s", opt->pos_tagger);
        else if (ner_data_file(opt->data_dir, "pos_ewt.srp", path, sizeof path, err) < 0) goto fail;
        if (!(mk->pos = sr_pos_load(path, err))) goto fail;
    }
    return mk;
fail:
    sr_masker_free(mk);
    return NULL;
}

/* Content-word shape: >= 2 code points, some letter, no digit. */
static int ner_content_shape(const char *text, const NerWord *w) {
    if (w->c1 - w->c0 < 2) return 0;
    int letter = 0;
    for (int i = w->b0; i < w->b1; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= '0' && c <= '9') return 0;
        if (isalpha(c) || c >= 0x80) letter = 1;
    }
    return letter;
}

enum { W_NONE = 0, W_PHI, W_PROTECT, W_ELIGIBLE, W_STRUCT };


/* The code point ending just before byte b (b > 0), and its start in *start. */
static int ner_cp_before(const char *text, size_t len, int b, int *start) {
    int k = b - 1;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80) k--;
    size_t i = (size_t)k;
    *start = k;
    return utf8_decode((const unsigned char *)text, len, &i);
}

static int ner_letter_cp(int cp) { return ner_word_cp(cp) && !(cp >= '0' && cp <= '9'); }

/* bol[i] = 1 when word i starts a line but for bullets, numbering and spaces (no letter
 * between the line's start and the word). One pass over the words. */
static void ner_line_starts(const char *text, const NerWord *w, int nw, unsigned char *bol) {
    int letter = 0;
    for (int i = 0; i < nw; i++) {
        for (int b = i ? w[i - 1].b1 : 0; b < w[i].b0; b++)
            if (text[b] == '\n') letter = 0;
        bol[i] = !letter;
        for (int b = w[i].b0; b < w[i].b1 && !letter; b++) letter = !(text[b] >= '0' && text[b] <= '9');
    }
}

/* Is the letter-structure phrase of words i..j where it counts? Labels at a line's start
 * or before ':' '#' or a number; headers at a line's start or before ':'; salutations
 * and closings at a line's start. */
static int ner_structure_here(const char *text, size_t len, const NerWord *w, const unsigned char *bol, int i, int j,
                              const char *kind) {
    if (bol[i]) return 1;
    int label = !strcmp(kind, "LABEL"), header = !strcmp(kind, "HEADER");
    if (!label && !header) return 0;
    size_t k = (size_t)w[j].b1;
    while (k < len && (text[k] == ' ' || text[k] == '\t')) k++;
    if (k >= len) return 0;
    return text[k] == ':' || (label && (text[k] == '#' || (text[k] >= '0' && text[k] <= '9')));
}

/* Grow PHI span s to the edges of word w, one code point at a time: over letters and
 * digits always, over a joiner (' - U+2019 ...) only when letters stand on both sides. */
static void ner_grow_span(const char *text, size_t len, const NerWord *w, SrSpan *s) {
    while (s->byte_start > w->b0) {
        int at, c = ner_cp_before(text, len, s->byte_start, &at);
        if (!ner_word_cp(c)) { /* a joiner: look at both sides */
            int at2, before = at > w->b0 ? ner_cp_before(text, len, at, &at2) : -1;
            size_t j = (size_t)s->byte_start;
            int after = utf8_decode((const unsigned char *)text, len, &j);
            if (!ner_letter_cp(before) || !ner_letter_cp(after)) break;
        }
        s->byte_start = at;
        s->cp_start--;
    }
    while (s->byte_end < w->b1) {
        size_t j = (size_t)s->byte_end;
        int c = utf8_decode((const unsigned char *)text, len, &j);
        if (!ner_word_cp(c)) {
            int at, before = ner_cp_before(text, len, s->byte_end, &at);
            size_t k = j;
            int after = k < (size_t)w->b1 ? utf8_decode((const unsigned char *)text, len, &k) : -1;
            if (!ner_letter_cp(before) || !ner_letter_cp(after)) break;
        }
        s->byte_end = (int)j;
        s->cp_end++;
    }
}

/* Step 1 of the Masker, alone: the words of the text (mk->words) and every PHI span
 * (mk->phi_spans): rules, then the model, sorted, merged where they overlap and grown
 * to whole words. Returns the word count, or -1. */
static int masker_phi(SrMasker *mk, const char *text, size_t len, char *err) {
    if (len > (size_t)INT32_MAX / 2) return sr_fail(err, "text too long (%zu bytes)", len);
    int nw = ner_words(text, len, &mk->words, &mk->words_cap, err);
    if (nw < 0) return -1;
    NerWord *w = mk->words;

    /* 1. PHI: rules, then the model; sorted and merged where they overlap */
    SrSpans *ps = &mk->phi_spans;
    ps->n = 0;
    if (sr_phi_find(mk->phi, text, len, ps, err) < 0) return -1;
    if (mk->phi_ner.m) {
        ner_entities_clear(&mk->ents);
        if (ner_run(&mk->phi_ner, text, len, NER_AGG_FIRST, 1, 0, &mk->ents, err) < 0) return -1;
        ner_entities_to_phi(&mk->ents, ps);
    }
    for (int i = 0; i < ps->n; i++) ps->span[i].action = SR_ACT_PHI;
    if (ps->n > 1) qsort(ps->span, (size_t)ps->n, sizeof *ps->span, ner_span_cmp);
    int np = 0;
    for (int i = 0; i < ps->n; i++) {
        SrSpan *s = &ps->span[i];
        if (s->byte_end <= s->byte_start) continue;
        if (np && s->byte_start < ps->span[np - 1].byte_end) { /* overlap: widen the earlier (longer) one */
            SrSpan *p = &ps->span[np - 1];
            if (s->byte_end > p->byte_end) { p->byte_end = s->byte_end; p->cp_end = s->cp_end; }
            continue;
        }
        ps->span[np++] = *s;
    }
    ps->n = np;

    /* A PHI span that cuts a word grows to the whole word (a name caught as "John" in
     * "John-Paul" must not leave "-Paul" behind), but crosses a joiner only between two
     * letters ("101" in "101-year-old" stays "101"); spans that now touch are merged. */
    for (int i = 0, p = 0; i < nw && np; i++) {
        while (p < np && ps->span[p].byte_end <= w[i].b0) p++;
        for (int q = p; q < np && ps->span[q].byte_start < w[i].b1; q++)
            ner_grow_span(text, len, &w[i], &ps->span[q]);
    }
    np = 0;
    for (int i = 0; i < ps->n; i++) {
        if (np && ps->span[i].byte_start < ps->span[np - 1].byte_end) {
            SrSpan *p = &ps->span[np - 1];
            if (ps->span[i].byte_end > p->byte_end) { p->byte_end = ps->span[i].byte_end; p->cp_end = ps->span[i].cp_end; }
            continue;
        }
        ps->span[np++] = ps->span[i];
    }
    ps->n = np;
    return nw;
}

/* An unlisted word of 7+ letters with a medical ending (data/med_suffixes.txt:
 * "-gliflozin", "-ectomy", "-itis") is an entity of that ending's type, unless the list
 * names it an exception. Returns the new group count. */
static int masker_word_endings(const SrMasker *mk, const char *text, const NerWord *w, int nw, unsigned char *state,
                               int *group, int *wref, int n_groups) {
    if (!mk->med_suf.n) return n_groups;
    char norm[256];
    for (int i = 0; i < nw; i++) {
        if (state[i] != W_NONE) continue;
        int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm), letters = 0;
        for (int k = 0; k < m; k++) letters += norm[k] >= 'a' && norm[k] <= 'z';
        if (letters != m || m < 7) continue;
        int e = ner_lex_phrase(&mk->med_suf, norm, (size_t)m);
        if (e >= 0) continue; /* the word itself is listed: an exception */
        for (int l = m - 3 < 10 ? m - 3 : 10; l >= 3; l--) {
            if ((e = ner_lex_phrase(&mk->med_suf, norm + m - l, (size_t)l)) < 0) continue;
            if (!strcmp(mk->med_suf.cats[mk->med_suf.cat[e]], "EXCEPT")) break;
            state[i] = W_PROTECT;
            group[i] = ++n_groups;
            wref[i] = -1 - e; /* < 0: an entry of med_suf */
            break;
        }
    }
    return n_groups;
}

/* The built-in tagger's tag of word i, or NULL (no tagger: a POS model was given). */
static const char *masker_tag(const SrMasker *mk, int i) { return mk->pos ? sr_pos_tag_name(mk->pos, mk->tags[mk->word_tok[i]]) : NULL; }

/* Two more kinds of single medical words: a hyphenated word with a listed part of 4+
 * letters ("sacubitril-valsartan", "LDL-cholesterol": the part's entry and type), and in
 * a letter that is not all capitals an acronym the tagger calls a noun ("CMV", "HFrEF":
 * 2-6 characters, at least two capitals and no more small letters than capitals; type
 * TERM, wref = -1 - the entry count of med_suf, i.e. no entry). */
static int masker_word_parts(const SrMasker *mk, const char *text, size_t len, const NerWord *w, int nw,
                             unsigned char *state, int *group, int *wref, int n_groups) {
    int lower = 0, letters = 0;
    for (size_t i = 0; i < len; i++) {
        lower += text[i] >= 'a' && text[i] <= 'z';
        letters += (text[i] | 32) >= 'a' && (text[i] | 32) <= 'z';
    }
    char norm[256];
    for (int i = 0; i < nw; i++) {
        if (state[i] != W_NONE) continue;
        int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm), e = -1;
        for (int a = 0, b; a < m && e < 0; a = b + 1) {
            for (b = a; b < m && norm[b] != '-'; b++) {}
            if (b == m && a == 0) break;
            if (b - a >= 4) e = ner_lex_phrase(&mk->med, norm + a, (size_t)(b - a));
        }
        if (e >= 0) { state[i] = W_PROTECT; group[i] = ++n_groups; wref[i] = e; continue; }
        int n = w[i].b1 - w[i].b0, up = 0, low = 0;
        const char *p = text + w[i].b0, *tag = mk->pos ? masker_tag(mk, i) : NULL;
        if (lower * 10 <= letters || n < 2 || n > 6 || !tag || (strcmp(tag, "NOUN") && strcmp(tag, "PROPN"))) continue;
        for (int k = 0; k < n; k++) { up += p[k] >= 'A' && p[k] <= 'Z'; low += p[k] >= 'a' && p[k] <= 'z'; }
        if (up >= 2 && low <= up) { state[i] = W_PROTECT; group[i] = ++n_groups; wref[i] = -1 - mk->med_suf.n; }
    }
    return n_groups;
}


/* Is word i a modifier of data/med_modifiers.txt (plural or not), or a hyphenated word
 * with such a modifier or a listed medical word in it ("right-sided", "steroid-induced")? */
static int masker_modifier(const SrMasker *mk, const char *text, const NerWord *w, int i) {
    char norm[256], one[256];
    int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
    if (ner_lex_phrase(&mk->med_mod, norm, (size_t)m) >= 0) return 1;
    int n1 = ner_singular(norm, m, one);
    if (n1 && ner_lex_phrase(&mk->med_mod, one, (size_t)n1) >= 0) return 1;
    for (int a = 0, b; a < m; a = b + 1) { /* the parts of a hyphenated word */
        for (b = a; b < m && norm[b] != '-'; b++) {}
        if (b == m && a == 0) break;
        if (b - a >= 3 && (ner_lex_phrase(&mk->med_mod, norm + a, (size_t)(b - a)) >= 0 ||
                           ner_lex_phrase(&mk->med, norm + a, (size_t)(b - a)) >= 0)) return 1;
    }
    return 0;
}

/* Is word i part of a noun phrase by the tagger: a noun or proper noun, or before the
 * head (left) an adjective? Function words of data/closed_class.txt never are. */
static int masker_np_word(const SrMasker *mk, const char *text, const NerWord *w, int i, int left) {
    const char *tag = masker_tag(mk, i);
    if (!tag || !ner_content_shape(text, &w[i])) return 0;
    if (strcmp(tag, "NOUN") && strcmp(tag, "PROPN") && !(left && !strcmp(tag, "ADJ"))) return 0;
    int n = w[i].b1 - w[i].b0;
    const char *p = text + w[i].b0;
    if ((n > 2 && p[n - 2] == '\'' && (p[n - 1] | 32) == 's') || (n > 4 && !memcmp(p + n - 4, "\xE2\x80\x99", 3) && (p[n - 1] | 32) == 's'))
        return 0; /* a possessive ("the patient's fever") is outside the entity */
    char norm[256];
    int m = ner_norm_word(p, n, norm, sizeof norm);
    return ner_lex_phrase(&mk->closed, norm, (size_t)m) < 0;
}

/* Only spaces (or, with comma, also one ',') between words j and j + 1? */
static int masker_gap_ok(const char *text, const NerWord *w, int j, int comma) {
    int commas = 0;
    for (int b = w[j].b1; b < w[j + 1].b0; b++) {
        if (text[b] == ',' && comma && !commas) { commas++; continue; }
        if (text[b] != ' ' && text[b] != '\t') return 0;
    }
    return 1;
}

/* A participle used as an adjective before a noun ("reduced arm swing", "scattered
 * wheeze"): a VERB ending in -ed or -ing whose own left neighbour is no noun, pronoun or
 * auxiliary (not "the patient reported chest pain"). */
static int masker_participle(const SrMasker *mk, const char *text, const NerWord *w, int i) {
    const char *tag = masker_tag(mk, i);
    int n = w[i].b1 - w[i].b0;
    const char *p = text + w[i].b0;
    if (!tag || strcmp(tag, "VERB") || n < 5) return 0;
    if (!((p[n - 2] | 32) == 'e' && (p[n - 1] | 32) == 'd') && !((p[n - 3] | 32) == 'i' && (p[n - 2] | 32) == 'n' && (p[n - 1] | 32) == 'g'))
        return 0;
    if (i == 0 || !masker_gap_ok(text, w, i - 1, 0)) return 1;
    const char *before = masker_tag(mk, i - 1);
    return strcmp(before, "NOUN") && strcmp(before, "PRON") && strcmp(before, "PROPN") && strcmp(before, "AUX");
}

static int masker_is(const char *text, const NerWord *w, int i, const char *const *set) {
    char norm[256];
    int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
    for (int k = 0; set[k]; k++)
        if ((int)strlen(set[k]) == m && !memcmp(set[k], norm, (size_t)m)) return 1;
    return 0;
}

/* Protected entities grow to the words that belong to them (i2b2 style: modifiers are
 * inside the entity):
 *   left, over up to 4 words right before it (only spaces between): modifiers of
 *   data/med_modifiers.txt (laterality, severity, anatomy), hyphenated words with a
 *   modifier or a medical word in them, and the words of its noun phrase (the tagger's
 *   NOUN, PROPN, ADJ: "holosystolic murmur", "severe left ventricular dysfunction");
 *   right, over "stage 3b", "grade 2", "type 1", "class II", over a prepositional phrase
 *   that names a body part ("of both knees", "in the right upper quadrant"), or else
 *   over up to 3 nouns of its noun phrase ("drug screen", "sleep study"). */
static void masker_grow(const SrMasker *mk, const char *text, const NerWord *w, int nw, unsigned char *state, int *group,
                        int *wref) {
    static const char *const preps[] = {"of", "in", "to", "at", "on", "over", "around", "across", "behind", "below", "above", NULL};
    static const char *const dets[] = {"the", "both", "his", "her", "their", "a", "an", "all", NULL};
    static const char *const grades[] = {"stage", "grade", "type", "class", "level", "nyha", "gold", NULL};
    static const char *const every[] = {"every", "for", "x", "over", "per", NULL};
    static const char *const units[] = {"minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "h", "day", "days",
                                        "week", "weeks", "wk", "wks", "month", "months", "year", "years", "night", "nights",
                                        "dose", "doses", "cycle", "cycles", "litre", "litres", "liter", "liters", NULL};
    for (int i = 1; i < nw; i++) {
        if (state[i] != W_PROTECT || state[i - 1] == W_PROTECT) continue;
        for (int j = i - 1, n = 0; j >= 0 && n < 4 && state[j] == W_NONE && masker_gap_ok(text, w, j, 0); j--, n++) {
            if (!masker_modifier(mk, text, w, j) && !masker_np_word(mk, text, w, j, 1) && !masker_participle(mk, text, w, j) &&
                !(j > 0 && masker_is(text, w, j - 1, grades) && w[j].b1 - w[j].b0 <= 4)) /* "grade 3", "stage iii" */
                break;
            state[j] = W_PROTECT;
            group[j] = group[i];
            wref[j] = wref[i];
        }
    }
    for (int i = 0; i + 1 < nw; i++) {
        if (state[i] != W_PROTECT || state[i + 1] == W_PROTECT) continue;
        int j = i + 1, last = -1;
        if (masker_gap_ok(text, w, i, 1) && masker_is(text, w, j, grades) && j + 1 < nw && masker_gap_ok(text, w, j, 0) &&
            state[j] == W_NONE && state[j + 1] == W_NONE && (w[j + 1].b1 - w[j + 1].b0) <= 4)
            last = j + 1; /* "stage 3b", "grade 2", "class IV" */
        else if (masker_is(text, w, j, every) && j + 2 < nw && state[j] == W_NONE && state[j + 1] == W_NONE &&
                 state[j + 2] == W_NONE && text[w[j + 1].b0] >= '0' && text[w[j + 1].b0] <= '9' && masker_is(text, w, j + 2, units))
            last = j + 2; /* "every 2 weeks", "for 5 days", "x 7 days" (a dose's length) */
        else if (masker_gap_ok(text, w, i, 0) && masker_is(text, w, j, preps)) {
            int k = j + 1;
            while (k < nw && k - j <= 4 && state[k] == W_NONE && masker_gap_ok(text, w, k - 1, 0) &&
                   (masker_is(text, w, k, dets) || masker_modifier(mk, text, w, k))) {
                if (masker_modifier(mk, text, w, k)) last = k;
                k++;
            }
        }
        if (last < 0) /* the rest of the noun phrase: "drug screen", "sleep study" */
            for (int k = i + 1; k < nw && k - i <= 3 && state[k] == W_NONE && masker_gap_ok(text, w, k - 1, 0) &&
                                masker_np_word(mk, text, w, k, 0); k++)
                last = k;
        for (int k = i + 1; k <= last; k++) {
            if (state[k] != W_NONE) break;
            state[k] = W_PROTECT;
            group[k] = group[i];
            wref[k] = wref[i];
        }
        if (last > i) i = last;
    }
}

/* Letter structure beyond the list: the words before a ':' that ends a field label
 * (up to 6 at a line's start, up to 4 after a field separator: two spaces, a tab, '|',
 * ';', '.'); and, in a letter that is not all capitals, headings: a line of up to 6
 * words in capitals ("DISCHARGE SUMMARY"), a line of up to 5 words that starts with a
 * capital and has no digit and no final punctuation ("Past psychiatric history"), the
 * capitals that start a line before " - " ("TRIAGE NOTE - ..."). Marks them W_STRUCT
 * (wref -1: no list entry). */
static int masker_field_labels(const char *text, size_t len, const NerWord *w, int nw, const unsigned char *bol,
                               unsigned char *state, int *group, int *wref, int n_groups) {
    int lower = 0, letters = 0;
    for (size_t i = 0; i < len; i++) {
        lower += text[i] >= 'a' && text[i] <= 'z';
        letters += (text[i] | 32) >= 'a' && (text[i] | 32) <= 'z';
    }
    int mixed = lower * 10 > letters;
    for (int i = 0; i < nw; i++) {
        /* a ':' right after word i (a space or a '#' may stand between), then a space or the end */
        size_t c = (size_t)w[i].b1;
        while (c < len && (text[c] == ' ' || text[c] == '#' || text[c] == ')' || text[c] == '.')) c++;
        if (c >= len || text[c] != ':' || (c + 1 < len && text[c + 1] != ' ' && text[c + 1] != '\t' && text[c + 1] != '\n' && text[c + 1] != '\r'))
            continue;
        int j = i, max = bol[i] ? 6 : 4;
        while (j > 0 && i - j + 1 < max) { /* walk back over single spaces and # / & ( ) - */
            int ok = 1, sp = 0;
            for (int b = w[j - 1].b1; b < w[j].b0 && ok; b++) {
                char ch = text[b];
                if (ch == ' ') ok = ++sp < 2;
                else ok = ch == '#' || ch == '/' || ch == '&' || ch == '(' || ch == ')' || ch == '-';
            }
            if (!ok) break;
            j--;
        }
        if (!bol[j]) { /* mid-line: a field separator must stand before */
            int b = w[j].b0 - 1;
            int sep = b >= 1 && ((text[b] == ' ' && text[b - 1] == ' ') || text[b] == '\t' ||
                                 (text[b] == ' ' && (text[b - 1] == '|' || text[b - 1] == ';' || text[b - 1] == '.')));
            if (!sep) continue;
        }
        n_groups++;
        for (int k = j; k <= i; k++)
            if (state[k] == W_NONE) { state[k] = W_STRUCT; group[k] = n_groups; wref[k] = -1; }
    }
    if (!mixed) return n_groups;
    for (int i = 0; i < nw;) { /* headings: short lines (or a line's head before " - ") */
        if (!bol[i]) { i++; continue; }
        int j = i, caps = 1, head = i - 1;
        while (j + 1 < nw && !memchr(text + w[j].b1, '\n', (size_t)(w[j + 1].b0 - w[j].b1))) j++;
        size_t end = (size_t)w[j].b1, last = end;
        while (end < len && text[end] != '\n') end++;
        while (last < end && text[last] != '\r') last++;
        for (int k = i; k <= j; k++) { /* the run of capitals at the line's start */
            int up = 1;
            for (int b = w[k].b0; b < w[k].b1 && up; b++) up = !(text[b] >= 'a' && text[b] <= 'z');
            if (!up) { caps = 0; break; }
            head = k;
        }
        int ends_plain = w[j].b1 == (int)last; /* nothing after the last word: no '.' */
        int title = text[w[i].b0] >= 'A' && text[w[i].b0] <= 'Z' && end < len && j - i < 5 && ends_plain;
        for (int b = w[i].b0; b < w[j].b1 && title; b++) title = !(text[b] >= '0' && text[b] <= '9');
        int stop = -1;
        if ((caps || title) && j - i < 6 && ends_plain) stop = j; /* "DISCHARGE SUMMARY", "Past psychiatric history" */
        else if (head > i && head < j && w[head + 1].b0 - w[head].b1 >= 3 && !memcmp(text + w[head].b1, " - ", 3)) stop = head;
        if (stop >= 0) {
            n_groups++;
            for (int k = i; k <= stop; k++)
                if (state[k] == W_NONE && w[k].c1 - w[k].c0 > 1) { state[k] = W_STRUCT; group[k] = n_groups; wref[k] = -1; }
        }
        i = j + 1;
    }
    return n_groups;
}

int sr_masker_run(SrMasker *mk, const char *text, size_t len, SrSpans *out, char *err) {
    out->n = 0;
    int nw = masker_phi(mk, text, len, err);
    if (nw < 0) return -1;
    NerWord *w = mk->words;
    SrSpans *ps = &mk->phi_spans;
    int np = ps->n;

    /* word states: PHI if touching a PHI span */
    unsigned char *state = xcalloc((size_t)nw + 1, 1);
    int *group = xcalloc((size_t)nw + 1, sizeof *group);
    int *wref = xcalloc((size_t)nw + 1, sizeof *wref); /* entity or lexicon entry that decided */
    unsigned char *bol = xcalloc((size_t)nw + 1, 1);   /* word starts a line */
    ner_line_starts(text, w, nw, bol);
    for (int i = 0, p = 0; i < nw; i++) {
        while (p < np && ps->span[p].byte_end <= w[i].b0) p++;
        if (p < np && ps->span[p].byte_start < w[i].b1) state[i] = W_PHI;
    }

    /* 2. the built-in tagger over the words and the punctuation between them */
    int rc = 0, n_groups = 0;
    NerEntities med = {0};
    if (mk->pos && nw > 0) {
        mk->word_tok = grow(mk->word_tok, &mk->word_tok_cap, nw, sizeof *mk->word_tok);
        int nt = pos_tokens_of_words(text, len, w, nw, &mk->tok_p, &mk->tok_l, &mk->tok_cap, mk->word_tok);
        mk->tags = xrealloc(mk->tags, (size_t)nt);
        if (sr_pos_tag(mk->pos, mk->tok_p, mk->tok_l, nt, mk->tags, err) < 0) { rc = -1; goto done; }
    }

    /* 3. letter structure: field labels, section headers, salutations, closings */
    if (mk->structure.n) {
        NerStr key = {0};
        for (int i = 0; i < nw;) {
            int e, k = ner_lex_longest(&mk->structure, text, w, nw, i, &key, &e);
            if (!k || !ner_structure_here(text, len, w, bol, i, i + k - 1, mk->structure.cats[mk->structure.cat[e]])) { i++; continue; }
            n_groups++;
            for (int q = i; q < i + k; q++)
                if (state[q] == W_NONE) { state[q] = W_STRUCT; group[q] = n_groups; wref[q] = e; }
            i += k;
        }
        free(key.s);
        n_groups = masker_field_labels(text, len, w, nw, bol, state, group, wref, n_groups);
    }

    /* 4. protected medical entities */
    if (mk->med_ner.m) {
        if (ner_run(&mk->med_ner, text, len, NER_AGG_FIRST, 1, 0, &med, err) < 0) { rc = -1; goto done; }
        for (int i = 0, e = 0; i < nw; i++) {
            while (e < med.n && med.e[e].byte_end <= w[i].b0) e++;
            for (int f = e; f < med.n && med.e[f].byte_start < w[i].b1; f++) {
                if (!ner_labelset_has(&mk->med_labels, med.e[f].label)) continue;
                if (state[i] == W_NONE) { state[i] = W_PROTECT; group[i] = f + 1; wref[i] = f; }
                break;
            }
        }
    } else if (mk->med.n) {
        NerStr key = {0};
        for (int i = 0; i < nw;) {
            int hit, hk = ner_lex_longest(&mk->med, text, w, nw, i, &key, &hit);
            if (!hk) { i++; continue; }
            n_groups++;
            for (int k = 0; k < hk; k++)
                if (state[i + k] == W_NONE) { state[i + k] = W_PROTECT; group[i + k] = n_groups; wref[i + k] = hit; }
            i += hk;
        }
        free(key.s);
        n_groups = masker_word_endings(mk, text, w, nw, state, group, wref, n_groups);
        n_groups = masker_word_parts(mk, text, len, w, nw, state, group, wref, n_groups);
        masker_grow(mk, text, w, nw, state, group, wref);
    }

    /* 5. eligible words */
    if (mk->pos_ner.m) {
        ner_entities_clear(&mk->ents);
        if (ner_run(&mk->pos_ner, text, len, NER_AGG_FIRST, 0, 1, &mk->ents, err) < 0) { rc = -1; goto done; }
        for (int i = 0, e = 0; i < nw; i++) {
            while (e < mk->ents.n && mk->ents.e[e].byte_end <= w[i].b0) e++;
            if (state[i] != W_NONE || e >= mk->ents.n || mk->ents.e[e].byte_start >= w[i].b1) continue;
            if (ner_labelset_has(&mk->mask_pos, mk->ents.e[e].label)) { state[i] = W_ELIGIBLE; wref[i] = e; }
        }
    } else if (nw > 0) {
        /* the built-in tagger's tags (step 2): a word is eligible when its tag is asked
         * for, it has a content word's shape, and an open-class tag is not contradicted
         * by data/closed_class.txt */
        char norm[256];
        for (int i = 0; i < nw; i++) {
            if (state[i] != W_NONE || !ner_content_shape(text, &w[i])) continue;
            const char *tag = sr_pos_tag_name(mk->pos, mk->tags[mk->word_tok[i]]);
            if (!ner_labelset_has(&mk->mask_pos, tag)) continue;
            int open_class = !strcmp(tag, "NOUN") || !strcmp(tag, "VERB") || !strcmp(tag, "ADJ") || !strcmp(tag, "ADV") ||
                             !strcmp(tag, "PROPN") || !strcmp(tag, "INTJ");
            if (open_class) {
                int m = ner_norm_word(text + w[i].b0, w[i].b1 - w[i].b0, norm, sizeof norm);
                /* look up the full form too: "it's" normalises to "it" */
                char full[256];
                int fm = 0;
                for (int k = w[i].b0; k < w[i].b1 && fm < 255; k++) full[fm++] = (char)tolower((unsigned char)text[k]);
                full[fm] = 0;
                if (ner_lex_phrase(&mk->closed, norm, (size_t)m) >= 0 || ner_lex_phrase(&mk->closed, full, (size_t)fm) >= 0) continue;
            }
            state[i] = W_ELIGIBLE;
            wref[i] = mk->tags[mk->word_tok[i]];
        }
    }

    /* 6. spans: PHI, protected runs (structure and medical), eligible words; sorted by start */
    for (int i = 0; i < np; i++) *ner_span_push(out) = ps->span[i];
    for (int i = 0; i < nw; i++) {
        if (state[i] == W_PROTECT || state[i] == W_STRUCT) {
            int j = i;
            while (j + 1 < nw && state[j + 1] == state[i] && group[j + 1] == group[i]) j++;
            SrSpan *s = ner_span_push(out);
            s->byte_start = w[i].b0; s->cp_start = w[i].c0;
            s->byte_end = w[j].b1; s->cp_end = w[j].c1;
            s->action = SR_ACT_PROTECT;
            if (state[i] == W_STRUCT && wref[i] < 0) { /* masker_field_labels */
                snprintf(s->category, sizeof s->category, "LABEL");
                snprintf(s->source, sizeof s->source, "structure:layout");
                s->score = 1;
            } else if (state[i] == W_STRUCT) {
                snprintf(s->category, sizeof s->category, "%s", mk->structure.cats[mk->structure.cat[wref[i]]]);
                snprintf(s->source, sizeof s->source, "%s", mk->structure.srcs[mk->structure.src[wref[i]]]);
                s->score = 1;
            } else if (mk->med_ner.m) {
                const NerEntity *e = &med.e[wref[i]];
                ner_strcpy(s->category, sizeof s->category, NULL, e->label);
                ner_strcpy(s->source, sizeof s->source, "model:", e->label);
                s->score = e->score;
            } else {
                const NerLex *lx = wref[i] >= 0 ? &mk->med : &mk->med_suf;
                int e = wref[i] >= 0 ? wref[i] : -1 - wref[i];
                if (e >= lx->n) { /* masker_word_parts: an acronym */
                    snprintf(s->category, sizeof s->category, "TERM");
                    snprintf(s->source, sizeof s->source, "rule:acronym");
                } else {
                    snprintf(s->category, sizeof s->category, "%s", lx->cats[lx->cat[e]]);
                    snprintf(s->source, sizeof s->source, "%s", lx->srcs[lx->src[e]]);
                }
                s->score = 1;
            }
            i = j;
        } else if (state[i] == W_ELIGIBLE) {
            SrSpan *s = ner_span_push(out);
            s->byte_start = w[i].b0; s->cp_start = w[i].c0;
            s->byte_end = w[i].b1; s->cp_end = w[i].c1;
            s->action = SR_ACT_ELIGIBLE;
            if (mk->pos_ner.m) {
                const NerEntity *e = &mk->ents.e[wref[i]];
                ner_strcpy(s->category, sizeof s->category, NULL, e->label);
                ner_strcpy(s->source, sizeof s->source, "model:", e->label);
                s->score = e->score;
            } else {
                snprintf(s->category, sizeof s->category, "%s", sr_pos_tag_name(mk->pos, wref[i]));
                snprintf(s->source, sizeof s->source, "tagger:ewt");
                s->score = 1;
            }
        }
    }
    if (out->n > 1) qsort(out->span, (size_t)out->n, sizeof *out->span, ner_span_cmp);
done:
    ner_entities_free(&med);
    free(state);
    free(group);
    free(wref);
    free(bol);
    return rc;
}

/* ---- sr ner ---------------------------------------------------------------------- */

/* The PHI spans alone of the Masker's decision (for sr deid): step 1 only, without the
 * medical-entity and eligibility work sr deid does not print. */
static int masker_phi_spans(SrMasker *mk, const char *text, size_t len, SrSpans *out, char *err) {
    out->n = 0;
    if (masker_phi(mk, text, len, err) < 0) return -1;
    for (int k = 0; k < mk->phi_spans.n; k++) *ner_span_push(out) = mk->phi_spans.span[k];
    return 0;
}

static int cmd_deid(int argc, char **argv) {
    const char *format = "text", *data_dir = NULL, *phi_model = NULL;
    const char **lexicons = xcalloc((size_t)argc + 1, sizeof(char *));
    char **items = xcalloc((size_t)argc + 1, sizeof(char *));
    int n_lex = 0, n_items = 0, texts = 0, jsonl = 0, keep_length = 0, explain = 0, show_phi = 0, extras = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs("usage: sr deid [options] [FILE...]   (no FILE: stdin)\n"
                  "Finds PHI (the 18 HIPAA identifiers, clinicians' names, and extras) with rules\n"
                  "and lexicons, and prints the text with each one replaced by [**TYPE**].\n"
                  "  --text TEXT       process TEXT (repeatable) instead of files\n"
                  "  --jsonl           input lines {\"id\":..,\"text\":..}; output one JSON object a line:\n"
                  "                    {\"id\",\"spans\":[{start,end,type,source}],\"text\": masked}\n"
                  "                    (offsets in code points of the original text)\n"
                  "  --format F        text (default) | jsonl | i2b2 (XML) | brat (standoff .ann)\n"
                  "  --keep-length     replace PHI by '*' of the same length instead of [**TYPE**]\n"
                  "  --explain         print each decision and its reason to stderr\n"
                  "  --show-phi        let i2b2/brat/--explain output include the original PHI text\n"
                  "                    (by default they carry the '*'-masked text: offsets stay valid)\n"
                  "  --lexicon FILE    a site's own names and places, one a line (repeatable)\n"
                  "  --no-extras       do not mask hospitals, wards/rooms, professions, lone years\n"
                  "  --data DIR        folder of the shipped lexicons (default: data/ beside sr)\n"
                  "  --phi-model M     a de-identification NER model, unioned with the rules\n",
                  stdout);
            free(lexicons); free(items);
            return 0;
        }
        if (!strcmp(a, "--format")) format = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--text")) { items[n_items++] = (char *)opt_value(argc, argv, &i); texts = 1; }
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "--keep-length")) keep_length = 1;
        else if (!strcmp(a, "--explain")) explain = 1;
        else if (!strcmp(a, "--show-phi")) show_phi = 1;
        else if (!strcmp(a, "--no-extras")) extras = 0;
        else if (!strcmp(a, "--lexicon")) lexicons[n_lex++] = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--phi-model")) phi_model = opt_value(argc, argv, &i);
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr deid: unknown option %s (see sr deid --help)\n", a); free(lexicons); free(items); return 2; }
        else {
            if (texts) { fprintf(stderr, "sr deid: give either --text or files, not both\n"); free(lexicons); free(items); return 2; }
            items[n_items++] = (char *)a;
        }
    }
    int fmt = !strcmp(format, "text") ? 0 : !strcmp(format, "jsonl") ? 1 : !strcmp(format, "i2b2") ? 2 : !strcmp(format, "brat") ? 3 : -1;
    if (fmt < 0) { fprintf(stderr, "sr deid: unknown --format %s (text, jsonl, i2b2, brat)\n", format); free(lexicons); free(items); return 2; }
    if (jsonl && fmt == 0) fmt = 1;
    if (texts && jsonl) { fprintf(stderr, "sr deid: --jsonl reads files or stdin, not --text\n"); free(lexicons); free(items); return 2; }
    /* sr deid shows exactly the PHI that sr generate masks: the Masker's PHI spans
     * (rules, unioned with --phi-model, grown to whole words). */
    char err[SR_ERR_LEN];
    double t0 = now_seconds();
    SrModel *model = NULL;
    if (phi_model && sr_load(&model, phi_model, err) < 0) {
        fprintf(stderr, "sr deid: %s\n", err); free(lexicons); free(items); return 2;
    }
    SrMaskerOptions mo = {0};
    mo.data_dir = data_dir;
    mo.lexicons = lexicons;
    mo.n_lexicons = n_lex;
    mo.phi_model = model;
    mo.no_phi_extras = !extras;
    SrMasker *mk = sr_masker_new(&mo, err);
    if (!mk) { fprintf(stderr, "sr deid: %s\n", err); sr_free(model); free(lexicons); free(items); return 2; }
    if (explain) fprintf(stderr, "sr deid: lexicons from %s loaded in %.0f ms\n", mk->phi->data_dir, (now_seconds() - t0) * 1e3);
    SrInput in = {0};
    in.jsonl = jsonl;
    in.items = items;
    in.n_items = n_items;
    in.texts = texts;
    SrRecord rec;
    SrSpans sp = {0};
    int failed = 0, rc;
    long index = 0;
    if (fmt == 2) fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n", stdout);
    while ((rc = input_next(&in, &rec, err)) != 0) {
        index++;
        if (rc < 0) {
            failed = 1;
            if (fmt == 1) print_error_record(stdout, &rec, index - 1, err);
            fprintf(stderr, "sr deid: %s\n", err);
            record_free(&rec);
            continue;
        }
        if (masker_phi_spans(mk, rec.text, rec.len, &sp, err) < 0) {
            failed = 1;
            if (fmt == 1) print_error_record(stdout, &rec, index - 1, err);
            fprintf(stderr, "sr deid: record %ld: %s\n", index, err);
            record_free(&rec);
            continue;
        }
        if (explain) {
            for (int k = 0; k < sp.n; k++) {
                const SrSpan *s = &sp.span[k];
                fprintf(stderr, "explain\t%s\t%d-%d\t%s\t%s\t%s", rec.id_json ? rec.id_json : "", s->cp_start, s->cp_end,
                        s->category, s->source, phi_reason(s->source));
                if (show_phi) { fputc('\t', stderr); fwrite(rec.text + s->byte_start, 1, (size_t)(s->byte_end - s->byte_start), stderr); }
                fputc('\n', stderr);
            }
        }
        if (fmt == 0) {
            phi_put_masked(stdout, rec.text, rec.len, &sp, keep_length);
            if (rec.len == 0 || rec.text[rec.len - 1] != '\n') fputc('\n', stdout);
        } else if (fmt == 1) {
            fputs("{\"id\":", stdout);
            if (rec.id_json) fputs(rec.id_json, stdout); else fprintf(stdout, "%ld", index - 1);
            fputs(",\"spans\":[", stdout);
            for (int k = 0; k < sp.n; k++) {
                const SrSpan *s = &sp.span[k];
                fprintf(stdout, "%s{\"start\":%d,\"end\":%d,\"type\":", k ? "," : "", s->cp_start, s->cp_end);
                json_put_cstr(stdout, s->category);
                fputs(",\"source\":", stdout);
                json_put_cstr(stdout, s->source);
                fputs("}", stdout);
            }
            fputs("],\"text\":", stdout);
            size_t mlen;
            char *m = phi_masked_string(rec.text, rec.len, &sp, keep_length, &mlen);
            json_put_string(stdout, m, mlen);
            free(m);
            fputs("}\n", stdout);
        } else {
            /* i2b2 and BRAT carry offsets into the text: without --show-phi the text is
             * the keep-length masked one, so the offsets still fit */
            size_t mlen = rec.len;
            char *m = show_phi ? NULL : phi_masked_string(rec.text, rec.len, &sp, 1, &mlen);
            const char *body = m ? m : rec.text;
            if (fmt == 2) {
                fputs("<deIdi2b2>\n<TEXT><![CDATA[", stdout);
                xml_put(stdout, body, mlen, 1);
                fputs("]]></TEXT>\n<TAGS>\n", stdout);
                for (int k = 0; k < sp.n; k++) {
                    const SrSpan *s = &sp.span[k];
                    const char *tag, *type;
                    phi_i2b2_tag(s->category, &tag, &type);
                    fprintf(stdout, "<%s id=\"P%d\" start=\"%d\" end=\"%d\" text=\"", tag, k, s->cp_start, s->cp_end);
                    if (show_phi) xml_put(stdout, rec.text + s->byte_start, (size_t)(s->byte_end - s->byte_start), 0);
                    else phi_put_stars(stdout, rec.text, rec.len, (size_t)s->byte_start, (size_t)s->byte_end, 0);
                    fprintf(stdout, "\" TYPE=\"%s\" comment=\"%s\" />\n", type, s->source);
                }
                fputs("</TAGS>\n</deIdi2b2>\n", stdout);
            } else {
                if (in.count > 1 || n_items > 1) {
                    fputs("# document ", stdout);
                    if (rec.id_json) fputs(rec.id_json, stdout); else fprintf(stdout, "%ld", index - 1);
                    fputc('\n', stdout);
                }
                for (int k = 0; k < sp.n; k++) {
                    const SrSpan *s = &sp.span[k];
                    fprintf(stdout, "T%d\t%s %d %d\t", k + 1, s->category, s->cp_start, s->cp_end);
                    if (show_phi) { for (int b = s->byte_start; b < s->byte_end; b++) fputc(rec.text[b] == '\n' || rec.text[b] == '\t' ? ' ' : rec.text[b], stdout); }
                    else phi_put_stars(stdout, rec.text, rec.len, (size_t)s->byte_start, (size_t)s->byte_end, 1);
                    fputc('\n', stdout);
                    fprintf(stdout, "#%d\tAnnotatorNotes T%d\t%s\n", k + 1, k + 1, s->source);
                }
            }
            free(m);
        }
        record_free(&rec);
    }
    input_close(&in);
    sr_spans_free(&sp);
    sr_masker_free(mk);
    sr_free(model);
    free(lexicons);
    free(items);
    return failed ? 1 : 0;
}

static void ner_print_entities(FILE *f, const NerEntities *es, int agg) {
    fputc('[', f);
    for (int i = 0; i < es->n; i++) {
        const NerEntity *e = &es->e[i];
        if (i) fputc(',', f);
        fputs(agg == NER_AGG_NONE ? "{\"entity\":" : "{\"entity_group\":", f);
        json_put_cstr(f, e->label);
        fprintf(f, ",\"score\":%.8g", e->score);
        if (agg == NER_AGG_NONE) fprintf(f, ",\"index\":%d", e->index);
        fputs(",\"word\":", f);
        json_put_cstr(f, e->word);
        fprintf(f, ",\"start\":%d,\"end\":%d,\"byte_start\":%d,\"byte_end\":%d}", e->cp_start, e->cp_end,
                e->byte_start, e->byte_end);
    }
    fputc(']', f);
}

static int cmd_ner(int argc, char **argv) {
    const char *model_path = NULL;
    int agg = NER_AGG_NONE, jsonl = 0, window = 0, overlap = -1, threads = 0;
    char **items = xmalloc((size_t)argc * sizeof *items);
    int n_items = 0, as_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr ner -m MODEL [options] [TEXT... | -f FILE... | --jsonl [FILE...]]\n"
                  "Token classification with Hugging Face's pipeline semantics; prints the entities\n"
                  "of each input as a JSON array (--jsonl: {\"id\":...,\"entities\":[...]} per line).\n"
                  "  -m, --model FILE        converted token classification model (required)\n"
                  "  --aggregation STRATEGY  none (default) | simple | first | average | max\n"
                  "  --window N              positions per window, [CLS] and [SEP] included\n"
                  "                          (default and maximum: the model's max_position)\n"
                  "  --stride N              tokens shared by consecutive windows (default window/4)\n"
                  "  -f                      the arguments are files ('-' = stdin), one text each\n"
                  "  --jsonl                 inputs are JSON lines {\"id\":..., \"text\":...} from the\n"
                  "                          FILE arguments or stdin\n"
                  "  --threads N             threads for the encoder\n"
                  "Without TEXT or FILE, the text is read from stdin. Offsets start/end are code\n"
                  "points (as Hugging Face), byte_start/byte_end bytes; ends are exclusive.\n",
                  stdout);
            free(items);
            return 0;
        }
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model_path = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--aggregation")) {
            const char *v = opt_value(argc, argv, &i);
            if ((agg = ner_agg_parse(v)) < 0) {
                fprintf(stderr, "sr ner: unknown --aggregation '%s' (none, simple, first, average, max)\n", v);
                free(items);
                return 2;
            }
        } else if (!strcmp(a, "--window")) window = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--stride")) overlap = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--threads")) threads = atoi(opt_value(argc, argv, &i));
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "-f")) as_files = 1;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sr ner: unknown option %s (see sr ner --help)\n", a);
            free(items);
            return 2;
        } else items[n_items++] = argv[i];
    }
    int status = 0;
    SrModel *m = NULL;
    NerRunner r;
    memset(&r, 0, sizeof r);
    char err[SR_ERR_LEN];
    if (!model_path) { fputs("sr ner: -m MODEL is required\n", stderr); status = 2; goto out; }
    if (window < 0 || (window > 0 && window < 3)) { fprintf(stderr, "sr ner: bad --window %d\n", window); status = 2; goto out; }
    if (sr_load(&m, model_path, err) < 0) { fprintf(stderr, "sr ner: %s\n", err); status = 2; goto out; }
    if (threads > 0) sr_set_threads(threads);
    if (ner_runner_init(&r, m, window, overlap, err) < 0) { fprintf(stderr, "sr ner: %s: %s\n", model_path, err); status = 2; goto out; }
    SrInput in;
    memset(&in, 0, sizeof in);
    in.jsonl = jsonl;
    in.texts = !jsonl && !as_files && n_items > 0;
    in.items = items;
    in.n_items = n_items;
    NerEntities es = {0};
    SrRecord rec;
    for (;;) {
        int got = input_next(&in, &rec, err);
        if (got == 0) break;
        if (got < 0) {
            if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
            else fprintf(stderr, "sr ner: %s\n", err);
            record_free(&rec);
            status = 1;
            continue;
        }
        ner_entities_clear(&es);
        if (ner_run(&r, rec.text, rec.len, agg, 1, 0, &es, err) < 0) {
            if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
            else fprintf(stderr, "sr ner: %s\n", err);
            status = 1;
        } else if (jsonl) {
            fputs("{\"id\":", stdout);
            if (rec.id_json) fputs(rec.id_json, stdout);
            else printf("%ld", in.count - 1);
            fputs(",\"entities\":", stdout);
            ner_print_entities(stdout, &es, agg);
            fputs("}\n", stdout);
        } else {
            ner_print_entities(stdout, &es, agg);
            fputc('\n', stdout);
        }
        record_free(&rec);
    }
    ner_entities_free(&es);
    input_close(&in);
out:
    if (r.m) ner_runner_free(&r);
    sr_free(m);
    free(items);
    return status;
}

/* ---- sr pos ---------------------------------------------------------------------- */

/* One CoNLL-U file: the FORM column of each sentence's word lines (IDs that are plain
 * integers) is tagged, and the file is written back with UPOS (column 4) filled in;
 * comments, multiword-token ranges and empty nodes pass through unchanged. */
static int pos_conllu(const SrPos *pos, const char *path, FILE *out, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    const char *name = strcmp(path, "-") ? path : "stdin";
    if (utf8_check(buf, len, e) < 0) { free(buf); return sr_fail(err, "%s: %s", name, e); }
    typedef struct { size_t at, n; int word; size_t form, form_n, upos, upos_n; } Line;
    Line *ln = NULL;
    int ln_cap = 0, n_ln = 0, n_words = 0, wcap = 0, rc = 0;
    const char **form = NULL;
    int *flen = NULL;
    unsigned char *tag = NULL;
    long lineno = 0, first_line = 1;
    size_t p = 0;
    while (p <= len && rc == 0) {
        int at_end = p == len;
        const char *l = buf + p;
        const char *nl = at_end ? NULL : memchr(l, '\n', len - p);
        size_t n = at_end ? 0 : nl ? (size_t)(nl - l) : len - p;
        if (!at_end) lineno++;
        int blank = n == 0 || (n == 1 && l[0] == '\r');
        if (!blank) {
            ln = grow(ln, &ln_cap, n_ln + 1, sizeof *ln);
            Line *x = &ln[n_ln++];
            memset(x, 0, sizeof *x);
            x->at = p; x->n = n; x->word = 0;
            if (n_ln == 1) first_line = lineno;
            size_t k = 0;
            while (k < n && l[k] >= '0' && l[k] <= '9') k++;
            if (l[0] != '#' && k > 0 && k < n && l[k] == '\t') { /* a word line */
                size_t col[10], c = 0, q = 0;
                col[c++] = 0;
                for (q = 0; q < n && c <= 10; q++)
                    if (l[q] == '\t') { if (c < 10) col[c] = q + 1; c++; }
                if (c != 10) { rc = sr_fail(err, "%s:%ld: %zu columns, a CoNLL-U word line has 10", name, lineno, c); break; }
                x->word = 1;
                x->form = p + col[1]; x->form_n = col[2] - 1 - col[1];
                x->upos = p + col[3]; x->upos_n = col[4] - 1 - col[3];
                n_words++;
            } else if (l[0] != '#' && !(k > 0 && k < n && (l[k] == '-' || l[k] == '.'))) {
                rc = sr_fail(err, "%s:%ld: not a CoNLL-U line (no ID column)", name, lineno);
                break;
            }
        }
        if ((blank || at_end) && n_ln) { /* a sentence ends: tag its words, write it */
            int cap0 = wcap;
            form = grow(form, &wcap, n_words, sizeof *form);
            if (wcap != cap0) { flen = xrealloc(flen, (size_t)wcap * sizeof *flen); tag = xrealloc(tag, (size_t)wcap); }
            int k = 0;
            for (int i = 0; i < n_ln; i++)
                if (ln[i].word) { form[k] = buf + ln[i].form; flen[k++] = (int)ln[i].form_n; }
            if (sr_pos_tag(pos, form, flen, k, tag, e) < 0) { rc = sr_fail(err, "%s:%ld: %s", name, first_line, e); break; }
            k = 0;
            for (int i = 0; i < n_ln; i++) {
                const Line *x = &ln[i];
                if (!x->word) { fwrite(buf + x->at, 1, x->n, out); fputc('\n', out); continue; }
                fwrite(buf + x->at, 1, x->upos - x->at, out);
                fputs(sr_pos_tag_name(pos, tag[k++]), out);
                fwrite(buf + x->upos + x->upos_n, 1, x->at + x->n - (x->upos + x->upos_n), out);
                fputc('\n', out);
            }
            n_ln = n_words = 0;
        }
        if (blank && !at_end) fputc('\n', out);
        if (at_end) break;
        p += n + 1;
    }
    free(ln); free(form); free(flen); free(tag); free(buf);
    return rc;
}

static int cmd_pos(int argc, char **argv) {
    const char *data_dir = NULL, *tagger = NULL, *conllu = NULL;
    char **items = xmalloc((size_t)argc * sizeof *items);
    int n_items = 0, as_files = 0, jsonl = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs("usage: sr pos [options] [TEXT... | -f FILE... | --jsonl [FILE...] | --conllu FILE]\n"
                  "Universal part-of-speech tags (UD UPOS) from the built-in tagger, for the Masker's\n"
                  "words (the words sr generate may resample). Prints one line a word:\n"
                  "start<TAB>end<TAB>UPOS<TAB>word (code points, end exclusive), a blank line between texts.\n"
                  "  --jsonl         inputs are JSON lines {\"id\":..., \"text\":...}; prints\n"
                  "                  {\"id\":...,\"words\":[{\"start\",\"end\",\"upos\",\"word\"}]} a line\n"
                  "  --conllu FILE   tag the FORM column of a CoNLL-U file ('-' = stdin) and write it\n"
                  "                  back with UPOS (column 4) filled in, everything else unchanged\n"
                  "  -f              the arguments are files ('-' = stdin), one text each\n"
                  "  --tagger FILE   the tagger (default: data/pos_ewt.srp)\n"
                  "  --data DIR      folder of the shipped data files\n",
                  stdout);
            free(items);
            return 0;
        }
        if (!strcmp(a, "--conllu")) conllu = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--tagger")) tagger = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--data")) data_dir = opt_value(argc, argv, &i);
        else if (!strcmp(a, "--jsonl")) jsonl = 1;
        else if (!strcmp(a, "-f")) as_files = 1;
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "sr pos: unknown option %s (see sr pos --help)\n", a); free(items); return 2; }
        else items[n_items++] = argv[i];
    }
    char err[SR_ERR_LEN], path[8192];
    if (conllu && (n_items || jsonl)) { fputs("sr pos: --conllu takes one file and no other input\n", stderr); free(items); return 2; }
    if (tagger) snprintf(path, sizeof path, "%s", tagger);
    else if (ner_data_file(data_dir, "pos_ewt.srp", path, sizeof path, err) < 0) { fprintf(stderr, "sr pos: %s\n", err); free(items); return 2; }
    SrPos *pos = sr_pos_load(path, err);
    if (!pos) { fprintf(stderr, "sr pos: %s\n", err); free(items); return 2; }
    int status = 0;
    if (conllu) {
        if (pos_conllu(pos, conllu, stdout, err) < 0) { fprintf(stderr, "sr pos: %s\n", err); status = 1; }
    } else {
        SrInput in;
        memset(&in, 0, sizeof in);
        in.jsonl = jsonl;
        in.texts = !jsonl && !as_files && n_items > 0;
        in.items = items;
        in.n_items = n_items;
        SrRecord rec;
        NerWord *w = NULL;
        const char **tp = NULL;
        int *tl = NULL, *word_tok = NULL, wcap = 0, tcap = 0, wtcap = 0;
        unsigned char *tag = NULL;
        int got;
        while ((got = input_next(&in, &rec, err)) != 0) {
            int nw = got < 0 ? -1 : ner_words(rec.text, rec.len, &w, &wcap, err);
            int nt = 0;
            if (nw >= 0) {
                word_tok = grow(word_tok, &wtcap, nw + 1, sizeof *word_tok);
                nt = pos_tokens_of_words(rec.text, rec.len, w, nw, &tp, &tl, &tcap, word_tok);
                tag = xrealloc(tag, (size_t)nt + 1);
                if (sr_pos_tag(pos, tp, tl, nt, tag, err) < 0) nw = -1;
            }
            if (nw < 0) {
                if (jsonl) print_error_record(stdout, &rec, in.count - 1, err);
                else fprintf(stderr, "sr pos: %s\n", err);
                status = 1;
                record_free(&rec);
                continue;
            }
            if (jsonl) {
                fputs("{\"id\":", stdout);
                if (rec.id_json) fputs(rec.id_json, stdout); else printf("%ld", in.count - 1);
                fputs(",\"words\":[", stdout);
            } else if (in.count > 1) fputc('\n', stdout);
            for (int k = 0; k < nw; k++) {
                const char *name = sr_pos_tag_name(pos, tag[word_tok[k]]);
                if (jsonl) {
                    printf("%s{\"start\":%d,\"end\":%d,\"upos\":\"%s\",\"word\":", k ? "," : "", w[k].c0, w[k].c1, name);
                    json_put_string(stdout, rec.text + w[k].b0, (size_t)(w[k].b1 - w[k].b0));
                    fputc('}', stdout);
                } else {
                    printf("%d\t%d\t%s\t", w[k].c0, w[k].c1, name);
                    fwrite(rec.text + w[k].b0, 1, (size_t)(w[k].b1 - w[k].b0), stdout);
                    fputc('\n', stdout);
                }
            }
            if (jsonl) fputs("]}\n", stdout);
            record_free(&rec);
        }
        input_close(&in);
        free(w); free(tp); free(tl); free(word_tok); free(tag);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) { fprintf(stderr, "sr pos: write error on stdout: %s\n", strerror(errno)); status = 1; }
    sr_pos_free(pos);
    free(items);
    return status;
}
