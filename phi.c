/* phi.c - the PHI rules: finding protected health information with rules and
 * lexicons. Included by ner.c (the Masker unions these spans with a PHI model's). */

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
 *               NAME (role unknown: Mr/Mrs/Ms, lexicon, same word elsewhere), USERNAME
 *   dates       DATE (numeric, written, weekdays, holidays; the year too when it is part
 *               of a date or tied to birth)
 *   AGE         ages over 89
 *   contact     PHONE, FAX, EMAIL, URL, IP
 *   numbers     SSN, MRN, NHS, HEALTHPLAN, ACCOUNT, LICENSE, DEVICE, VEHICLE, ID
 *   geography   STREET, CITY, COUNTY, STATE, ZIP (US ZIP and UK postcode), COUNTRY,
 *               LOCATION (a place named after "transferred to/from", "lives in")
 *   OTHER       a word or number that no rule decided and no safe vocabulary knows
 *               (the fail-closed layer, last: what is not understood is masked)
 * Configurable extras (on by default; off with --no-extras / sr_phi_set_extras):
 *   HOSPITAL, WARD, PROFESSION, ORGANIZATION, YEAR (a year alone: not a HIPAA
 *   identifier, but "MI in '92" dates the patient's history, so by default it is
 *   masked too)
 *
 * Capitalisation is a name signal only when the document is mixed case (decided per
 * document from the share of capital letters); ALL CAPS and all-lower notes rely on
 * context and lexicons. Lexicons: first names, surnames and a safe list of common and
 * medical words (Philter, BSD-3, data/), an English dictionary (SCOWL), and the rules'
 * own word classes (data/phi_cues.txt). */

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
#define LX_VOCAB       (1ull << 34) /* a word of the safe vocabulary (English dictionary, medical words): the fail-closed layer leaves it */
#define LX_REGION      (1ull << 35) /* a state, province, county or region of the gazetteer (phi_places.txt) */
#define LX_COUNTRY     (1ull << 36) /* a country (phi_places.txt) */
/* the flags that say a word is known (not PHI by itself): the safe list, the dictionary,
 * the medical words, and every class of the rules but the name and place lists */
#define LX_KNOWN (~(LX_FIRST | LX_LAST | LX_SITE | LX_CITY | LX_REGION | LX_COUNTRY))

/* PHI type ids (index into phi_type_name) */
enum {
    PT_NONE, PT_DOCTOR, PT_PATIENT, PT_RELATIVE, PT_NAME, PT_DATE, PT_AGE, PT_PHONE,
    PT_FAX, PT_EMAIL, PT_URL, PT_IP, PT_SSN, PT_MRN, PT_NHS, PT_HEALTHPLAN, PT_ACCOUNT,
    PT_LICENSE, PT_DEVICE, PT_VEHICLE, PT_ID, PT_STREET, PT_CITY, PT_COUNTY, PT_ZIP,
    PT_LOCATION, PT_HOSPITAL, PT_WARD, PT_PROFESSION, PT_YEAR, PT_USERNAME, PT_STATE, PT_COUNTRY,
    PT_ORGANIZATION, PT_OTHER, PT_COUNT
};
static const char *const phi_type_name[PT_COUNT] = {
    "", "DOCTOR", "PATIENT", "RELATIVE", "NAME", "DATE", "AGE", "PHONE",
    "FAX", "EMAIL", "URL", "IP", "SSN", "MRN", "NHS", "HEALTHPLAN", "ACCOUNT",
    "LICENSE", "DEVICE", "VEHICLE", "ID", "STREET", "CITY", "COUNTY", "ZIP",
    "LOCATION", "HOSPITAL", "WARD", "PROFESSION", "YEAR", "USERNAME", "STATE", "COUNTRY",
    "ORGANIZATION", "OTHER"};
/* token states beyond the PHI types: claimed by a rule as not PHI (an eponym, a
 * clinical look-alike), or the label of a field whose value is PHI (kept, never
 * resampled). Neither is emitted as PHI; both keep later rules off the token. */
enum { PT_SAFE = 100, PT_LABEL = 101 };
static int phi_type_is_extra(int t) {
    return t == PT_HOSPITAL || t == PT_WARD || t == PT_PROFESSION || t == PT_YEAR || t == PT_ORGANIZATION;
}

/* The rules' word classes. Their words live in data/phi_cues.txt (one section a class),
 * so that an auditor reads what the rules look for without reading C. Two kinds:
 *   lexicon classes set an LX_* flag (and a small value) on the word's entry in the
 *       lexicon table, looked up like the name lists (lower case, trailing 's dropped);
 *   cue classes (CUE_*) are tested on the whole token's lower-cased text: a word class
 *       through one small table of cue words (a bit per class), a phrase class as
 *       consecutive tokens on one line, a string class inside a token (.com).
 * Every class below must have a section in the file, and every section a class here. */
enum {
    CUE_HOSPITAL_NAME_WORD, CUE_HEADER_BIRTH, CUE_HEADER_RELATIVE, CUE_HEADER_RE,
    CUE_HEADER_CITY, CUE_HEADER_ZIP, CUE_COUNTY_WORD, CUE_HEADER_DOB, CUE_ID_FILLER,
    CUE_ID_FILLER_WIDE, CUE_RECORD_WORD, CUE_RECORD_KIND, CUE_PAIN_SCORE_WORD,
    CUE_PAIN_WORD, CUE_MURMUR_WORD, CUE_RATIO_WORD, CUE_MONTH_AMBIGUOUS,
    CUE_MONTH_AMBIGUOUS_SHORT, CUE_MONTH_NOT_AFTER_PREP, CUE_BEFORE_MONTH_ABBREV,
    CUE_HOLIDAY_DAY, CUE_HOLIDAY_NAME, CUE_HOLIDAY_YEAR, CUE_HOLIDAY_NEW,
    CUE_AGE_UNIT_LETTER, CUE_AGE_YEAR_SINGULAR, CUE_AGE_OLD, CUE_AGE_YEAR_PLURAL,
    CUE_AGE_WORD, CUE_SEX_WORD, CUE_ZIP_LABEL, CUE_STREET_DR, CUE_STREET_WORD_AMBIGUOUS,
    CUE_AGE_UNIT_PHRASE, CUE_TITLE_PLURAL, CUE_TITLE_DOCTOR, CUE_TITLE_NOUN,
    CUE_TITLE_NOT_NAME, CUE_RELATIVE_FILLER, CUE_RELATION_CHILDREN,
    CUE_CLINICIAN_ROLE_AMBIGUOUS, CUE_TOLD_VERB, CUE_TOLD_AUX, CUE_FAMILY_WORD,
    CUE_HOSPITAL_WORD_DEPARTMENT, CUE_HOSPITAL_WORD_MEDICAL, CUE_HOSPITAL_WORD_MED,
    CUE_HOSPITAL_WORD_AFTER_MEDICAL, CUE_HOSPITAL_WORD_NHS, CUE_HOSPITAL_WORD_AFTER_NHS,
    CUE_HOSPITAL_WORD_MC, CUE_HOSPITAL_WORD_REHAB, CUE_SAINT_ABBREV, CUE_SAINT_WORD,
    CUE_SAINT_FULL, CUE_UNIVERSITY_WORD, CUE_CITY_PREPOSITION, CUE_MOVEMENT_AFTER_IN,
    CUE_MOVEMENT_TRANSFER, CUE_RESIDENCE_VERB, CUE_FACILITY_VERB, CUE_VISIT_WORD,
    CUE_MOVEMENT_CAME, CUE_GO_VERB, CUE_MOVEMENT_OF_OK, CUE_DEPARTMENT_HEAD,
    CUE_UNIT_NAME_CUE, CUE_EMERGENCY_DEPT, CUE_TO_NOT_PLACE, CUE_PLACE_SHAPE_CUE,
    CUE_AREA_WORD, CUE_RESIDENCE_VERB_MOVED, CUE_RESIDENCE_HEAD, CUE_EMPLOYMENT_WORD,
    CUE_APARTMENT_WORD, CUE_DEPARTMENT_ROLE, CUE_HISTORY_WORD, CUE_TIME_AFTER_NUMBER,
    CUE_YEAR_CUE, CUE_BIRTH_WORD, CUE_PROFESSION_CUE, CUE_DATE_WORD_GLUED, CUE_DEPARTMENT,
    CUE_HOSPITAL_ACRONYM_CLINICAL, CUE_HOSPITAL_DEVOTIONAL, CUE_PRACTICE_HEAD, CUE_NAME_CUE,
    CUE_WEB_DOMAIN_ENDING,
    CUE_COUNT_WORD, CUE_COUNT_UNIT, CUE_ORDINAL, CUE_VOCAB_SUFFIX, CUE_VOCAB_PREFIX, CUE_CONTRACTION,
    CUE_CONTRACTION_STEM, CUE_LABEL_START, CUE_PHONE_EXT, CUE_EPONYM_HEAD, CUE_STATE_CODE,
    CUE_UNIT_WORD, CUE_BUILDING_WORD, CUE_STREET_FIRST, CUE_STREET_MORE, CUE_STREET_PARTICLE, CUE_STATE_CODE4,
    CUE_USER_CUE, CUE_QUANTITY_UNIT, CUE_WEEKDAY_CUE, CUE_COUNTY_ABBREV, CUE_REGION_CUE, CUE_LANDMARK,
    CUE_ID_SUFFIX, CUE_VEHICLE_CUE, CUE_COUNTRY_CODE, CUE_FACILITY_HEAD, CUE_ORG_HEAD, CUE_PLACEHOLDER_NAME,
    CUE_PLACEHOLDER_PLACE, CUE_PLACEHOLDER_DATE, CUE_PLACEHOLDER_NUMBER, CUE_PLACEHOLDER_PHONE, CUE_FACILITY_HEAD_WEAK,
    CUE_MILITARY_POST, CUE_MILITARY_CODE, CUE_CALL_VERB, CUE_CALL_FILLER, CUE_DURATION_CUE, CUE_LEGAL_SUFFIX, CUE_PERSON_VERB,
    CUE_STREET_DIRECTION,
    CUE_COUNT
};
#define PHI_CUE_WORDS ((CUE_COUNT + 63) / 64)
enum { PHI_CLASS_LEXICON, PHI_CLASS_CUE, PHI_CLASS_PHRASE, PHI_CLASS_STRING };
typedef struct {
    const char *name; /* the section in data/phi_cues.txt */
    int kind;         /* PHI_CLASS_* */
    uint64_t flag;    /* lexicon: LX_* */
    int value;        /* lexicon: the class's small value (title strength, id type...); cue: CUE_* */
} PhiClassDef;
static const PhiClassDef phi_class_defs[] = {
    {"title", PHI_CLASS_LEXICON, LX_TITLE, 0},
    {"title.weak", PHI_CLASS_LEXICON, LX_TITLE, 1},
    {"relation", PHI_CLASS_LEXICON, LX_RELATION, 0},
    {"month", PHI_CLASS_LEXICON, LX_MONTH, 0},
    {"weekday", PHI_CLASS_LEXICON, LX_WEEKDAY, 0},
    {"weekday.abbrev", PHI_CLASS_LEXICON, LX_WEEKDAY, 1},
    {"holiday", PHI_CLASS_LEXICON, LX_HOLIDAY, 0},
    {"credential", PHI_CLASS_LEXICON, LX_CRED, 0},
    {"credential.weak", PHI_CLASS_LEXICON, LX_CRED, 1},
    {"hospital-word", PHI_CLASS_LEXICON, LX_HOSPWORD, 0},
    {"street-word", PHI_CLASS_LEXICON, LX_STREET, 0},
    {"us-state", PHI_CLASS_LEXICON, LX_STATE, 0},
    {"stop", PHI_CLASS_LEXICON, LX_STOP, 0},
    {"phone-word", PHI_CLASS_LEXICON, LX_PHONECTX, 0},
    {"fax-word", PHI_CLASS_LEXICON, LX_PHONECTX, 1},
    {"id-word.mrn", PHI_CLASS_LEXICON, LX_IDCTX, PT_MRN},
    {"id-word.nhs", PHI_CLASS_LEXICON, LX_IDCTX, PT_NHS},
    {"id-word.ssn", PHI_CLASS_LEXICON, LX_IDCTX, PT_SSN},
    {"id-word.healthplan", PHI_CLASS_LEXICON, LX_IDCTX, PT_HEALTHPLAN},
    {"id-word.account", PHI_CLASS_LEXICON, LX_IDCTX, PT_ACCOUNT},
    {"id-word.license", PHI_CLASS_LEXICON, LX_IDCTX, PT_LICENSE},
    {"id-word.device", PHI_CLASS_LEXICON, LX_IDCTX, PT_DEVICE},
    {"id-word.vehicle", PHI_CLASS_LEXICON, LX_IDCTX, PT_VEHICLE},
    {"id-word.id", PHI_CLASS_LEXICON, LX_IDCTX, PT_ID},
    {"clinician-role", PHI_CLASS_LEXICON, LX_ROLE, 0},
    {"name-cue.weak", PHI_CLASS_LEXICON, LX_ROLEWEAK, 0},
    {"vent-word", PHI_CLASS_LEXICON, LX_VENT, 0},
    {"movement", PHI_CLASS_LEXICON, LX_MOVE, 0},
    {"clinical-place", PHI_CLASS_LEXICON, LX_PLACESTOP, 0},
    {"profession", PHI_CLASS_LEXICON, LX_PROFESSION, 0},
    {"age-unit", PHI_CLASS_LEXICON, LX_AGEUNIT, 0},
    {"clinical-unit", PHI_CLASS_LEXICON, LX_UNIT, 0},
    {"clinical-measure", PHI_CLASS_LEXICON, LX_NUMCTX, 0},
    {"eponym-head", PHI_CLASS_LEXICON, LX_EPONYM, 0},
    {"generic-place-word", PHI_CLASS_LEXICON, LX_GENERIC, 0},
    {"name-particle", PHI_CLASS_LEXICON, LX_NAMEPART, 0},
    {"date-cue", PHI_CLASS_LEXICON, LX_DATECTX, 0},
    {"header.name", PHI_CLASS_LEXICON, LX_HEADER, 1},
    {"header.address", PHI_CLASS_LEXICON, LX_HEADER, 2},
    {"header.date", PHI_CLASS_LEXICON, LX_HEADER, 3},
    {"header.clinician", PHI_CLASS_LEXICON, LX_HEADER, 4},
    {"time-cue", PHI_CLASS_LEXICON, LX_TIMECTX, 0},
    {"ward-word", PHI_CLASS_LEXICON, LX_WARDWORD, 0},
    {"hospital-name-word", PHI_CLASS_CUE, 0, CUE_HOSPITAL_NAME_WORD},
    {"header.birth", PHI_CLASS_CUE, 0, CUE_HEADER_BIRTH},
    {"header.relative", PHI_CLASS_CUE, 0, CUE_HEADER_RELATIVE},
    {"header.re", PHI_CLASS_CUE, 0, CUE_HEADER_RE},
    {"header.city", PHI_CLASS_CUE, 0, CUE_HEADER_CITY},
    {"header.zip", PHI_CLASS_CUE, 0, CUE_HEADER_ZIP},
    {"county-word", PHI_CLASS_CUE, 0, CUE_COUNTY_WORD},
    {"header.dob", PHI_CLASS_CUE, 0, CUE_HEADER_DOB},
    {"id-filler", PHI_CLASS_CUE, 0, CUE_ID_FILLER},
    {"id-filler.wide", PHI_CLASS_CUE, 0, CUE_ID_FILLER_WIDE},
    {"record-word", PHI_CLASS_CUE, 0, CUE_RECORD_WORD},
    {"record-kind", PHI_CLASS_CUE, 0, CUE_RECORD_KIND},
    {"pain-score-word", PHI_CLASS_CUE, 0, CUE_PAIN_SCORE_WORD},
    {"pain-word", PHI_CLASS_CUE, 0, CUE_PAIN_WORD},
    {"murmur-word", PHI_CLASS_CUE, 0, CUE_MURMUR_WORD},
    {"ratio-word", PHI_CLASS_CUE, 0, CUE_RATIO_WORD},
    {"month.ambiguous", PHI_CLASS_CUE, 0, CUE_MONTH_AMBIGUOUS},
    {"month.ambiguous-short", PHI_CLASS_CUE, 0, CUE_MONTH_AMBIGUOUS_SHORT},
    {"month.not-after-prep", PHI_CLASS_CUE, 0, CUE_MONTH_NOT_AFTER_PREP},
    {"before-month-abbrev", PHI_CLASS_CUE, 0, CUE_BEFORE_MONTH_ABBREV},
    {"holiday.day", PHI_CLASS_CUE, 0, CUE_HOLIDAY_DAY},
    {"holiday.name", PHI_CLASS_CUE, 0, CUE_HOLIDAY_NAME},
    {"holiday.year", PHI_CLASS_CUE, 0, CUE_HOLIDAY_YEAR},
    {"holiday.new", PHI_CLASS_CUE, 0, CUE_HOLIDAY_NEW},
    {"age-unit.letter", PHI_CLASS_CUE, 0, CUE_AGE_UNIT_LETTER},
    {"age-year.singular", PHI_CLASS_CUE, 0, CUE_AGE_YEAR_SINGULAR},
    {"age-old", PHI_CLASS_CUE, 0, CUE_AGE_OLD},
    {"age-year.plural", PHI_CLASS_CUE, 0, CUE_AGE_YEAR_PLURAL},
    {"age-word", PHI_CLASS_CUE, 0, CUE_AGE_WORD},
    {"sex-word", PHI_CLASS_CUE, 0, CUE_SEX_WORD},
    {"zip-label", PHI_CLASS_CUE, 0, CUE_ZIP_LABEL},
    {"street-dr", PHI_CLASS_CUE, 0, CUE_STREET_DR},
    {"street-word.ambiguous", PHI_CLASS_CUE, 0, CUE_STREET_WORD_AMBIGUOUS},
    {"street-direction", PHI_CLASS_CUE, 0, CUE_STREET_DIRECTION},
    {"age-unit.phrase", PHI_CLASS_CUE, 0, CUE_AGE_UNIT_PHRASE},
    {"title.plural", PHI_CLASS_CUE, 0, CUE_TITLE_PLURAL},
    {"title.doctor", PHI_CLASS_CUE, 0, CUE_TITLE_DOCTOR},
    {"title.noun", PHI_CLASS_CUE, 0, CUE_TITLE_NOUN},
    {"title.not-name", PHI_CLASS_CUE, 0, CUE_TITLE_NOT_NAME},
    {"relative-filler", PHI_CLASS_CUE, 0, CUE_RELATIVE_FILLER},
    {"relation.children", PHI_CLASS_CUE, 0, CUE_RELATION_CHILDREN},
    {"clinician-role.ambiguous", PHI_CLASS_CUE, 0, CUE_CLINICIAN_ROLE_AMBIGUOUS},
    {"told-verb", PHI_CLASS_CUE, 0, CUE_TOLD_VERB},
    {"told-aux", PHI_CLASS_CUE, 0, CUE_TOLD_AUX},
    {"family-word", PHI_CLASS_CUE, 0, CUE_FAMILY_WORD},
    {"hospital-word.department", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_DEPARTMENT},
    {"hospital-word.medical", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_MEDICAL},
    {"hospital-word.med", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_MED},
    {"hospital-word.after-medical", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_AFTER_MEDICAL},
    {"hospital-word.nhs", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_NHS},
    {"hospital-word.after-nhs", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_AFTER_NHS},
    {"hospital-word.mc", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_MC},
    {"hospital-word.rehab", PHI_CLASS_CUE, 0, CUE_HOSPITAL_WORD_REHAB},
    {"saint-abbrev", PHI_CLASS_CUE, 0, CUE_SAINT_ABBREV},
    {"saint-word", PHI_CLASS_CUE, 0, CUE_SAINT_WORD},
    {"saint-full", PHI_CLASS_CUE, 0, CUE_SAINT_FULL},
    {"university-word", PHI_CLASS_CUE, 0, CUE_UNIVERSITY_WORD},
    {"city-preposition", PHI_CLASS_CUE, 0, CUE_CITY_PREPOSITION},
    {"movement.after-in", PHI_CLASS_CUE, 0, CUE_MOVEMENT_AFTER_IN},
    {"movement.transfer", PHI_CLASS_CUE, 0, CUE_MOVEMENT_TRANSFER},
    {"residence-verb", PHI_CLASS_CUE, 0, CUE_RESIDENCE_VERB},
    {"facility-verb", PHI_CLASS_CUE, 0, CUE_FACILITY_VERB},
    {"visit-word", PHI_CLASS_CUE, 0, CUE_VISIT_WORD},
    {"movement.came", PHI_CLASS_CUE, 0, CUE_MOVEMENT_CAME},
    {"go-verb", PHI_CLASS_CUE, 0, CUE_GO_VERB},
    {"movement.of-ok", PHI_CLASS_CUE, 0, CUE_MOVEMENT_OF_OK},
    {"department-head", PHI_CLASS_CUE, 0, CUE_DEPARTMENT_HEAD},
    {"unit-name-cue", PHI_CLASS_CUE, 0, CUE_UNIT_NAME_CUE},
    {"emergency-dept", PHI_CLASS_CUE, 0, CUE_EMERGENCY_DEPT},
    {"to-not-place", PHI_CLASS_CUE, 0, CUE_TO_NOT_PLACE},
    {"place-shape-cue", PHI_CLASS_CUE, 0, CUE_PLACE_SHAPE_CUE},
    {"area-word", PHI_CLASS_CUE, 0, CUE_AREA_WORD},
    {"residence-verb.moved", PHI_CLASS_CUE, 0, CUE_RESIDENCE_VERB_MOVED},
    {"residence-head", PHI_CLASS_CUE, 0, CUE_RESIDENCE_HEAD},
    {"employment-word", PHI_CLASS_CUE, 0, CUE_EMPLOYMENT_WORD},
    {"apartment-word", PHI_CLASS_CUE, 0, CUE_APARTMENT_WORD},
    {"department-role", PHI_CLASS_CUE, 0, CUE_DEPARTMENT_ROLE},
    {"history-word", PHI_CLASS_CUE, 0, CUE_HISTORY_WORD},
    {"time-after-number", PHI_CLASS_CUE, 0, CUE_TIME_AFTER_NUMBER},
    {"year-cue", PHI_CLASS_CUE, 0, CUE_YEAR_CUE},
    {"birth-word", PHI_CLASS_CUE, 0, CUE_BIRTH_WORD},
    {"profession-cue", PHI_CLASS_CUE, 0, CUE_PROFESSION_CUE},
    {"date-word.glued", PHI_CLASS_CUE, 0, CUE_DATE_WORD_GLUED},
    {"department", PHI_CLASS_CUE, 0, CUE_DEPARTMENT},
    {"hospital-acronym.clinical", PHI_CLASS_CUE, 0, CUE_HOSPITAL_ACRONYM_CLINICAL},
    {"hospital.devotional", PHI_CLASS_PHRASE, 0, CUE_HOSPITAL_DEVOTIONAL},
    {"practice-head", PHI_CLASS_PHRASE, 0, CUE_PRACTICE_HEAD},
    {"name-cue", PHI_CLASS_PHRASE, 0, CUE_NAME_CUE},
    {"web-domain-ending", PHI_CLASS_STRING, 0, CUE_WEB_DOMAIN_ENDING},
    {"vocab-suffix", PHI_CLASS_STRING, 0, CUE_VOCAB_SUFFIX},
    {"vocab-prefix", PHI_CLASS_STRING, 0, CUE_VOCAB_PREFIX},
    {"count-word", PHI_CLASS_CUE, 0, CUE_COUNT_WORD},
    {"count-unit", PHI_CLASS_CUE, 0, CUE_COUNT_UNIT},
    {"ordinal", PHI_CLASS_CUE, 0, CUE_ORDINAL},
    {"contraction", PHI_CLASS_CUE, 0, CUE_CONTRACTION},
    {"contraction-stem", PHI_CLASS_CUE, 0, CUE_CONTRACTION_STEM},
    {"phone-ext", PHI_CLASS_CUE, 0, CUE_PHONE_EXT},
    {"eponym-head.strong", PHI_CLASS_CUE, 0, CUE_EPONYM_HEAD},
    {"state-code", PHI_CLASS_CUE, 0, CUE_STATE_CODE},
    {"state-code.four-digit", PHI_CLASS_CUE, 0, CUE_STATE_CODE4},
    {"user-cue", PHI_CLASS_CUE, 0, CUE_USER_CUE},
    {"quantity-unit", PHI_CLASS_CUE, 0, CUE_QUANTITY_UNIT},
    {"weekday-cue", PHI_CLASS_CUE, 0, CUE_WEEKDAY_CUE},
    {"county-abbrev", PHI_CLASS_CUE, 0, CUE_COUNTY_ABBREV},
    {"region-cue", PHI_CLASS_CUE, 0, CUE_REGION_CUE},
    {"landmark", PHI_CLASS_CUE, 0, CUE_LANDMARK},
    {"id-suffix", PHI_CLASS_CUE, 0, CUE_ID_SUFFIX},
    {"vehicle-cue", PHI_CLASS_CUE, 0, CUE_VEHICLE_CUE},
    {"country-code", PHI_CLASS_CUE, 0, CUE_COUNTRY_CODE},
    {"facility-head", PHI_CLASS_CUE, 0, CUE_FACILITY_HEAD},
    {"facility-head.weak", PHI_CLASS_CUE, 0, CUE_FACILITY_HEAD_WEAK},
    {"legal-suffix", PHI_CLASS_CUE, 0, CUE_LEGAL_SUFFIX},
    {"person-verb", PHI_CLASS_CUE, 0, CUE_PERSON_VERB},
    {"military-post", PHI_CLASS_CUE, 0, CUE_MILITARY_POST},
    {"military-code", PHI_CLASS_CUE, 0, CUE_MILITARY_CODE},
    {"call-verb", PHI_CLASS_CUE, 0, CUE_CALL_VERB},
    {"call-filler", PHI_CLASS_CUE, 0, CUE_CALL_FILLER},
    {"duration-cue", PHI_CLASS_CUE, 0, CUE_DURATION_CUE},
    {"org-head", PHI_CLASS_CUE, 0, CUE_ORG_HEAD},
    {"placeholder.name", PHI_CLASS_CUE, 0, CUE_PLACEHOLDER_NAME},
    {"placeholder.place", PHI_CLASS_CUE, 0, CUE_PLACEHOLDER_PLACE},
    {"placeholder.date", PHI_CLASS_CUE, 0, CUE_PLACEHOLDER_DATE},
    {"placeholder.number", PHI_CLASS_CUE, 0, CUE_PLACEHOLDER_NUMBER},
    {"placeholder.phone", PHI_CLASS_CUE, 0, CUE_PLACEHOLDER_PHONE},
    {"unit-word", PHI_CLASS_CUE, 0, CUE_UNIT_WORD},
    {"building-word", PHI_CLASS_CUE, 0, CUE_BUILDING_WORD},
    {"street-word.first", PHI_CLASS_CUE, 0, CUE_STREET_FIRST},
    {"street-word.more", PHI_CLASS_CUE, 0, CUE_STREET_MORE},
    {"street-particle", PHI_CLASS_CUE, 0, CUE_STREET_PARTICLE},
};

/* One word's record, in the arena (8-byte aligned); the lower-case word follows it,
 * NUL-terminated. The hash table holds only (offset, hash) pairs: 8 bytes a slot keeps
 * the table small for the ~470k words loaded at every start. */
typedef struct {
    uint64_t flags; /* LX_* */
    uint16_t len;
    uint8_t aux_title, aux_month; /* per-class small values (see phi_class_defs) */
    uint8_t aux_id, aux_weak;     /* id type; weak weekday / credential / phone=fax */
    uint8_t aux_header, pad;
} PhiEntry;

typedef struct {
    uint32_t off;  /* byte offset of the PhiEntry in the arena; 0 = empty slot */
    uint32_t hash;
} PhiSlot;

/* A cue word (exact lower-case token text) and the cue classes that hold it. */
typedef struct {
    char w[32];
    uint8_t len;
    uint64_t bits[PHI_CUE_WORDS];
    uint16_t label0, nlabel; /* the labels (r->label) whose first word this is */
} PhiCueWord;

/* A field label of data/phi_labels.txt: its words, the PHI type of its value, and
 * whether it is weak (its value needs more evidence). */
typedef struct {
    uint8_t type, weak, n;
    uint8_t len[6];
    char w[6][24];
} PhiLabel;

/* A phrase (or string) of a phrase/string class: up to 4 words. */
typedef struct {
    int cls;
    int n;
    uint8_t len[4];
    char w[4][32];
} PhiPhrase;

struct SrPhiRules {
    PhiSlot *tab;
    uint32_t cap, n; /* cap: power of two */
    char *arena;
    size_t arena_len, arena_cap;
    int tab_mapped, arena_mapped; /* from phi_big_alloc's maps (else the heap) */
    int extras;       /* HOSPITAL, WARD, PROFESSION, YEAR on (default 1) */
    int fail_closed;  /* the fail-closed layer on (default 1) */
    PhiCueWord *cue;  /* cue words; cue_tab holds index + 1 (0 = empty), open addressing */
    int n_cue, cap_cue;
    int32_t cue_tab[4096];
    PhiPhrase *phrase;
    int n_phrase, cap_phrase;
    PhiLabel *label; /* sorted by first word, longest first */
    int n_label, cap_label;
    struct { const char *p; size_t len; } sorted[2]; /* phi_safe_words.txt, phi_vocab.txt mapped: sorted, for prefixes */
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

/* Latin letters with diacritics folded to ASCII for lexicon lookups (the lists are ASCII:
 * Müller -> muller, Señora -> senora, Ångström -> angstrom); combining marks (decomposed
 * text) are dropped. Returns the folded length, or -1 when a letter has no ASCII form. */
static int phi_fold(const char *p, int n, char *out, int cap) {
    static const char latin1[] = "aaaaaa3ceeeeiiiidnooooo-ouuuuy45aaaaaa3ceeeeiiiidnooooo-ouuuuy4y";
    static const char ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii11jjkkkllllllllllnnnnnnnnnoooooo22rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    static const char *const multi[] = {"ij", "oe", "ae", "th", "ss"};
    int k = 0;
    size_t i = 0;
    while (i < (size_t)n) {
        int cp = (unsigned char)p[i] < 0x80 ? (unsigned char)p[i++] : utf8_decode((const unsigned char *)p, (size_t)n, &i);
        if (cp < 0) return -1;
        if (cp >= 0x300 && cp <= 0x36F) continue;
        char c = cp < 0x80 ? (char)tolower(cp) : cp >= 0xC0 && cp <= 0xFF ? latin1[cp - 0xC0] :
                 cp >= 0x100 && cp <= 0x17F ? ext_a[cp - 0x100] : 0;
        if (!c || c == '-') return -1;
        const char *m = c >= '1' && c <= '5' ? multi[c - '1'] : NULL;
        int len = m ? 2 : 1;
        if (k + len >= cap) return -1;
        if (m) { out[k++] = m[0]; out[k++] = m[1]; }
        else out[k++] = c;
    }
    return k;
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
/* A place name's lookup form: lower case, '-' as a space, '.' dropped, one space
 * between words ("Trois-Rivières" -> "trois rivières", "St. Louis" -> "st louis").
 * With fold, letters with diacritics become ASCII too. Returns the length, or 0. */
static int phi_place_key(const char *p, int n, char *out, int cap, int fold) {
    char tmp[128];
    int k = 0;
    for (int i = 0; i < n && k < (int)sizeof tmp - 1; i++) {
        char c = p[i];
        if (c == '.') continue;
        if (c == '-' || c == '\t' || c == ' ') { if (k && tmp[k - 1] != ' ') tmp[k++] = ' '; continue; }
        tmp[k++] = (char)tolower((unsigned char)c);
    }
    while (k && tmp[k - 1] == ' ') k--;
    if (!fold) { if (k >= cap) return 0; memcpy(out, tmp, (size_t)k); return k; }
    int m = 0; /* fold word by word (phi_fold knows no spaces) */
    for (int a = 0; a < k;) {
        int b = a;
        while (b < k && tmp[b] != ' ') b++;
        int f = phi_fold(tmp + a, b - a, out + m, cap - m - 1);
        if (f < 0) return 0;
        m += f;
        if (b < k) out[m++] = ' ';
        a = b + 1;
    }
    return m;
}

enum { PHI_SPLIT_LINES, PHI_SPLIT_SPACES, PHI_SPLIT_WORDS };
static int phi_load_list(SrPhiRules *r, const char *path, uint64_t flags, int split, char *err) {
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
        if (split == PHI_SPLIT_WORDS) { /* phrases: every run of letters and digits */
            size_t a = i;
            if (j > i && (buf[i] == '#' || buf[i] == '@')) a = j; /* comment, category */
            while (a < j) {
                while (a < j && !isalnum((unsigned char)buf[a]) && !((unsigned char)buf[a] & 0x80)) a++;
                size_t b = a;
                while (b < j && (isalnum((unsigned char)buf[b]) || ((unsigned char)buf[b] & 0x80) || buf[b] == '\'')) b++;
                if (b > a) phi_add_word(r, buf + a, b - a, flags);
                a = b;
            }
        } else if (split == PHI_SPLIT_SPACES) { /* split on spaces and commas */
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

/* The small value a lexicon class gives its words (see phi_class_defs). */
static void phi_set_value(PhiEntry *e, uint64_t flag, int value) {
    if (flag == LX_TITLE) e->aux_title = (uint8_t)(value + 1);
    if (flag == LX_MONTH) e->aux_month = (uint8_t)value;
    if (flag == LX_IDCTX) e->aux_id = (uint8_t)value;
    if (flag == LX_HEADER) e->aux_header = (uint8_t)value;
    if ((flag == LX_WEEKDAY || flag == LX_CRED || flag == LX_PHONECTX) && value)
        e->aux_weak |= (uint8_t)(flag == LX_WEEKDAY ? 1 : flag == LX_CRED ? 2 : 4);
}

static int phi_cue_find(const SrPhiRules *r, const char *w, size_t n) {
    if (n == 0 || n >= sizeof r->cue[0].w) return -1;
    uint32_t i = phi_hash(w, n) & 4095u;
    for (; r->cue_tab[i]; i = (i + 1) & 4095u) {
        const PhiCueWord *c = &r->cue[r->cue_tab[i] - 1];
        if (c->len == n && !memcmp(c->w, w, n)) return r->cue_tab[i] - 1;
    }
    return -1;
}

static int phi_cue_add(SrPhiRules *r, const char *w, size_t n, int cls) {
    int k = phi_cue_find(r, w, n);
    if (k < 0) {
        if (n == 0 || n >= sizeof r->cue[0].w || r->n_cue >= 4095 / 2) return -1;
        r->cue = grow(r->cue, &r->cap_cue, r->n_cue + 1, sizeof *r->cue);
        k = r->n_cue++;
        memset(&r->cue[k], 0, sizeof r->cue[k]);
        memcpy(r->cue[k].w, w, n);
        r->cue[k].len = (uint8_t)n;
        uint32_t i = phi_hash(w, n) & 4095u;
        while (r->cue_tab[i]) i = (i + 1) & 4095u;
        r->cue_tab[i] = k + 1;
    }
    r->cue[k].bits[cls >> 6] |= 1ull << (cls & 63);
    return 0;
}

/* Read data/phi_cues.txt: "[class]" sections of words (see the file's header). */
static int phi_load_cues(SrPhiRules *r, const char *path, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    enum { N_DEFS = sizeof phi_class_defs / sizeof phi_class_defs[0] };
    char seen[N_DEFS] = {0};
    const PhiClassDef *def = NULL;
    int line = 0, rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        line++;
        size_t a = i, b = j;
        i = j + 1;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r')) b--;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t')) a++;
        if (a == b || buf[a] == '#') continue; /* a comment line */
        if (buf[a] == '[') {
            if (buf[b - 1] != ']') { rc = sr_fail(err, "%s:%d: a class header is [name]", path, line); break; }
            def = NULL;
            for (int k = 0; k < N_DEFS; k++)
                if (strlen(phi_class_defs[k].name) == b - a - 2 && !memcmp(phi_class_defs[k].name, buf + a + 1, b - a - 2)) {
                    if (seen[k]) { rc = sr_fail(err, "%s:%d: class [%s] given twice", path, line, phi_class_defs[k].name); break; }
                    def = &phi_class_defs[k];
                    seen[k] = 1;
                }
            if (!def && rc == 0) rc = sr_fail(err, "%s:%d: unknown class %.*s (phi.c knows no such class)", path, line, (int)(b - a), buf + a);
            continue;
        }
        if (!def) { rc = sr_fail(err, "%s:%d: words before the first [class]", path, line); break; }
        if (def->kind == PHI_CLASS_PHRASE) { /* one phrase a line */
            r->phrase = grow(r->phrase, &r->cap_phrase, r->n_phrase + 1, sizeof *r->phrase);
            PhiPhrase *p = &r->phrase[r->n_phrase];
            memset(p, 0, sizeof *p);
            p->cls = def->value;
            for (size_t k = a; k < b;) {
                size_t w = k;
                while (w < b && buf[w] != ' ' && buf[w] != '\t') w++;
                if (p->n == 4 || w - k >= sizeof p->w[0]) { rc = sr_fail(err, "%s:%d: a phrase has at most 4 words of up to 31 bytes", path, line); break; }
                for (size_t c = k; c < w; c++) p->w[p->n][c - k] = (char)tolower((unsigned char)buf[c]);
                p->len[p->n++] = (uint8_t)(w - k);
                k = w;
                while (k < b && (buf[k] == ' ' || buf[k] == '\t')) k++;
            }
            if (rc == 0 && p->n && phi_cue_add(r, p->w[0], p->len[0], p->cls) < 0) rc = sr_fail(err, "%s:%d: too many cue words", path, line);
            r->n_phrase++;
            continue;
        }
        for (size_t k = a; k < b && rc == 0;) { /* words (or strings), separated by spaces */
            size_t w = k;
            while (w < b && buf[w] != ' ' && buf[w] != '\t') w++;
            size_t wend = w;
            int value = def->kind == PHI_CLASS_LEXICON ? def->value : 0;
            const char *eq = memchr(buf + k, '=', w - k);
            if (eq && def->kind == PHI_CLASS_LEXICON) {
                char *endp;
                long v = strtol(eq + 1, &endp, 10);
                if (endp != buf + w || v < 0 || v > 255) { rc = sr_fail(err, "%s:%d: bad value in %.*s", path, line, (int)(w - k), buf + k); break; }
                value = (int)v;
                wend = (size_t)(eq - buf);
            }
            char low[32];
            if (wend - k >= sizeof low) { rc = sr_fail(err, "%s:%d: %.*s is longer than 31 bytes", path, line, (int)(wend - k), buf + k); break; }
            for (size_t c = k; c < wend; c++) low[c - k] = (char)tolower((unsigned char)buf[c]);
            size_t n = wend - k;
            if (def->kind == PHI_CLASS_LEXICON) {
                PhiEntry *en = phi_add_word(r, low, n, def->flag);
                if (en) phi_set_value(en, def->flag, value);
            } else if (def->kind == PHI_CLASS_CUE) {
                if (phi_cue_add(r, low, n, def->value) < 0) rc = sr_fail(err, "%s:%d: too many cue words", path, line);
            } else { /* a string */
                r->phrase = grow(r->phrase, &r->cap_phrase, r->n_phrase + 1, sizeof *r->phrase);
                PhiPhrase *p = &r->phrase[r->n_phrase++];
                memset(p, 0, sizeof *p);
                p->cls = def->value;
                p->n = 1;
                memcpy(p->w[0], low, n);
                p->len[0] = (uint8_t)n;
            }
            k = w;
            while (k < b && (buf[k] == ' ' || buf[k] == '\t')) k++;
        }
    }
    free(buf);
    for (int k = 0; k < N_DEFS && rc == 0; k++)
        if (!seen[k]) rc = sr_fail(err, "%s: class [%s] is missing (the PHI rules need it)", path, phi_class_defs[k].name);
    return rc;
}

static int phi_label_cmp(const void *a, const void *b) {
    const PhiLabel *x = a, *y = b;
    int c = strcmp(x->w[0], y->w[0]);
    return c ? c : y->n - x->n;
}

/* Read data/phi_labels.txt: "[?]TYPE word word..." a line. '/' '-' '.' inside a label
 * separate its words (city/town, e-mail, d.o.b), as the tokens do. */
static int phi_load_labels(SrPhiRules *r, const char *path, char *err) {
    size_t len;
    char e[SR_ERR_LEN];
    char *buf = read_file(path, &len, e);
    if (!buf) return sr_fail(err, "%s", e);
    int line = 0, rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        line++;
        char l[256];
        size_t n = j - i < sizeof l - 1 ? j - i : sizeof l - 1;
        memcpy(l, buf + i, n);
        l[n] = 0;
        i = j + 1;
        char *p = l;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#' || *p == '\r') continue;
        PhiLabel lab;
        memset(&lab, 0, sizeof lab);
        if (*p == '?') { lab.weak = 1; p++; }
        char *q = p;
        while (*q && *q != ' ' && *q != '\t') q++;
        int type = 0;
        for (int t = 1; t < PT_COUNT; t++)
            if ((size_t)(q - p) == strlen(phi_type_name[t]) && !memcmp(p, phi_type_name[t], (size_t)(q - p))) type = t;
        if (!type) { rc = sr_fail(err, "%s:%d: unknown PHI type %.*s", path, line, (int)(q - p), p); break; }
        lab.type = (uint8_t)type;
        for (char *c = q; *c; c++) if (*c == '/' || *c == '-' || *c == '.' || *c == '\t' || *c == '\r') *c = ' ';
        while (*q) {
            while (*q == ' ') q++;
            char *w = q;
            while (*q && *q != ' ') q++;
            if (q == w) break;
            if (lab.n == 6 || q - w >= 24) { rc = sr_fail(err, "%s:%d: a label has at most 6 words of up to 23 bytes", path, line); break; }
            for (char *c = w; c < q; c++) lab.w[lab.n][c - w] = (char)tolower((unsigned char)*c);
            lab.len[lab.n++] = (uint8_t)(q - w);
        }
        if (rc) break;
        if (!lab.n) { rc = sr_fail(err, "%s:%d: a label needs words after its type", path, line); break; }
        r->label = grow(r->label, &r->cap_label, r->n_label + 1, sizeof *r->label);
        r->label[r->n_label++] = lab;
    }
    free(buf);
    if (rc) return rc;
    qsort(r->label, (size_t)r->n_label, sizeof *r->label, phi_label_cmp);
    for (int k = 0; k < r->n_label;) { /* index them by their first word */
        int m = k;
        while (m < r->n_label && !strcmp(r->label[m].w[0], r->label[k].w[0])) m++;
        if (phi_cue_add(r, r->label[k].w[0], r->label[k].len[0], CUE_LABEL_START) < 0) return sr_fail(err, "%s: too many cue words", path);
        PhiCueWord *c = &r->cue[phi_cue_find(r, r->label[k].w[0], r->label[k].len[0])];
        c->label0 = (uint16_t)k;
        c->nlabel = (uint16_t)(m - k);
        k = m;
    }
    return 0;
}


SrPhiRules *sr_phi_rules_new(const char *data_dir, char *err) {
    SrPhiRules *r = xcalloc(1, sizeof *r);
    r->extras = 1;
    r->fail_closed = 1;
    r->cap = 1u << 20;
    r->tab = phi_big_alloc((size_t)r->cap * sizeof(PhiSlot), &r->tab_mapped);
    r->arena_cap = 14u << 20; /* the shipped lists take ~12.7 MB */
    r->arena = phi_big_alloc(r->arena_cap, &r->arena_mapped); /* 8-byte aligned at least */
    r->arena_len = 8; /* offset 0 means an empty slot */
    static const struct { const char *file; uint64_t flag; int split; } lists[] = {
        {"phi_firstnames.txt", LX_FIRST, PHI_SPLIT_LINES},
        {"phi_surnames.txt", LX_LAST, PHI_SPLIT_LINES},
        {"phi_safe_words.txt", LX_COMMON, PHI_SPLIT_LINES},
        {"phi_us_cities.txt", LX_CITY, PHI_SPLIT_LINES},
        {"phi_cities.txt", LX_CITY, PHI_SPLIT_LINES}, /* in phi_place_key's form */
        {"phi_regions.txt", LX_REGION, PHI_SPLIT_LINES},
        {"phi_countries.txt", LX_COUNTRY, PHI_SPLIT_LINES},
        {"phi_english_names.txt", LX_ENGLISH, PHI_SPLIT_LINES},
        {"phi_clinical_safe.txt", LX_COMMON, PHI_SPLIT_LINES},
        {"phi_vocab.txt", LX_VOCAB, PHI_SPLIT_LINES},
        {"med_lexicon.txt", LX_VOCAB, PHI_SPLIT_WORDS}, /* phrases: each of their words */
        {"med_terms.txt", LX_VOCAB, PHI_SPLIT_WORDS},
    };
    char p[4096];
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        if (data_file(data_dir, lists[k].file, p, sizeof p, err) < 0 || phi_load_list(r, p, lists[k].flag, lists[k].split, err) < 0) {
            sr_phi_rules_free(r);
            return NULL;
        }
        if (k == 0) { /* the folder --explain names */
            snprintf(r->data_dir, sizeof r->data_dir, "%s", p);
            char *slash = strrchr(r->data_dir, '/');
            if (slash) *slash = 0;
        }
    }
    if (data_file(data_dir, "phi_cues.txt", p, sizeof p, err) < 0 || phi_load_cues(r, p, err) < 0 ||
        data_file(data_dir, "phi_labels.txt", p, sizeof p, err) < 0 || phi_load_labels(r, p, err) < 0) {
        sr_phi_rules_free(r);
        return NULL;
    }
    /* the safe list and the dictionary stay mapped (pages are read only when a prefix is
     * looked for): both are sorted (LC_ALL=C), so a binary search finds a word's
     * completions */
    static const char *const sorted[2] = {"phi_safe_words.txt", "phi_vocab.txt"};
    for (int k = 0; k < 2; k++) {
        if (data_file(data_dir, sorted[k], p, sizeof p, err) < 0) { sr_phi_rules_free(r); return NULL; }
        int fd = open(p, O_RDONLY);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m != MAP_FAILED) { r->sorted[k].p = m; r->sorted[k].len = (size_t)st.st_size; }
        }
        if (fd >= 0) close(fd);
    }
    return r;
}

int sr_phi_add_lexicon(SrPhiRules *r, const char *path, char *err) {
    return phi_load_list(r, path, LX_SITE, PHI_SPLIT_SPACES, err);
}

void sr_phi_rules_free(SrPhiRules *r) {
    if (!r) return;
    phi_big_free(r->tab, (size_t)r->cap * sizeof(PhiSlot), r->tab_mapped);
    phi_big_free(r->arena, r->arena_cap, r->arena_mapped);
    free(r->cue);
    free(r->phrase);
    free(r->label);
    for (int k = 0; k < 2; k++) if (r->sorted[k].p) munmap((void *)r->sorted[k].p, r->sorted[k].len);
    free(r);
}

/* Extras (hospitals, wards, professions, lone years): on by default. */
void sr_phi_set_extras(SrPhiRules *r, int on) { r->extras = on != 0; }
void sr_phi_set_fail_closed(SrPhiRules *r, int on) { r->fail_closed = on != 0; }

/* ---- Words: the one segmentation of a text -------------------------------------
 * The PHI rules' tokens (below) are runs of letters and digits, or one punctuation
 * character; the Masker's words are made of those tokens. A word is what the generator
 * may replace as a whole: a maximal run of letters and
 * digits, where a single apostrophe (' or U+2019) or hyphen (- U+2010 U+2011) between two
 * such characters joins ("don't", "patient's", "follow-up", "x-ray"). Letters are ASCII
 * letters and every code point >= U+0080 except Latin-1 punctuation and symbols, general
 * punctuation, currency, arrows, maths, box drawing, CJK punctuation, full-width ASCII
 * punctuation and emoji (no Unicode tables: this is the only non-ASCII knowledge). The
 * tokens use the same letters: a token is a run of word characters, and a word is
 * tokens joined by a tight joiner. */

typedef struct {
    int b0, b1, c0, c1; /* bytes and code points, end exclusive */
} Word;

static int word_cp(int cp) {
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
static int joiner_cp(int cp) { return cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 || cp == 0x2011; }

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
    int16_t cue;        /* index of its cue word (exact lower-case text), or -1 */
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
    int dmy;           /* its full numeric dates put the day first (31/12/2024): 1, the month: -1, unknown: 0 */
    const char *const *known, *const *known_types; /* the record's known PHI strings */
    int n_known;
} PhiDoc;

static int phi_doc_open(PhiDoc *d, const SrPhiRules *r, const char *text, size_t len, char *err);
static void phi_doc_close(PhiDoc *d);

/* letter case for ASCII and the Latin-1 / Latin Extended-A letters of European names */
/* Latin Extended-A pairs capitals and small letters, capital first, but its parity
 * flips twice: U+0139..U+0148 (Ĺ..ň) and U+0179..U+017E (Ź..ž) put the capital on the
 * odd code point; ĸ (U+0138), ŉ (U+0149) and ſ (U+017F) are small, Ÿ (U+0178) capital. */
static int phi_upper_cp(int cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z';
    if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
    if (cp < 0x100 || cp > 0x17F || cp == 0x138 || cp == 0x149 || cp == 0x17F) return 0;
    if (cp == 0x178) return 1;
    int odd_capitals = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    return odd_capitals ? cp % 2 == 1 : cp % 2 == 0;
}
static int phi_lower_cp(int cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z';
    if (cp >= 0xDF && cp <= 0xFF) return cp != 0xF7;
    if (cp >= 0x100 && cp <= 0x17F) return !phi_upper_cp(cp);
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
        if (!isdig && !word_cp(cp)) {
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
                if (word_cp(nc)) { i = j; cp_pos++; c = nc; continue; }
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
        t->cue = -1;
        /* lexicon: lower-cased, without a trailing 's */
        if (t->kind != TK_NUM && d->r) {
            char low[64];
            int n = t->b1 - t->b0;
            if (n <= 60) {
                for (int k = 0; k < n; k++) low[k] = (char)tolower(s[t->b0 + k]);
                /* and the capitals of Latin-1 (Ó, É: C3 80-9E but the sign C3 97) */
                for (int k = 0; k + 1 < n; k++)
                    if (s[t->b0 + k] == 0xC3 && s[t->b0 + k + 1] >= 0x80 && s[t->b0 + k + 1] <= 0x9E && s[t->b0 + k + 1] != 0x97)
                        low[k + 1] = (char)(s[t->b0 + k + 1] + 0x20), k++;
                if (t->kind != TK_PUNCT) t->cue = (int16_t)phi_cue_find(d->r, low, (size_t)n);
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
                int wide = 0;
                for (int k = t->b0; k < t->b1; k++) wide |= s[k] >= 0x80;
                if (!t->e && wide) {
                    /* letters beyond ASCII: look the folded word up (Müller, Señora) */
                    char f[64];
                    int fn = phi_fold(d->text + t->b0, t->b1 - t->b0, f, sizeof f);
                    if (fn > 2 && f[fn - 1] == 's' && f[fn - 2] == '\'') fn -= 2;
                    if (fn > 0) t->e = phi_lookup(d->r, f, (size_t)fn);
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
/* token i's whole text is a word of cue class c (data/phi_cues.txt) */
static inline int phi_cue(const PhiDoc *d, int i, int c) {
    if (i < 0 || i >= d->n || d->t[i].cue < 0) return 0;
    return (int)((d->r->cue[d->t[i].cue].bits[c >> 6] >> (c & 63)) & 1);
}
/* the same for a piece of text (any case) */
static int phi_cue_text(const SrPhiRules *r, const char *p, int n, int c) {
    char low[32];
    if (n <= 0 || n >= (int)sizeof low) return 0;
    for (int k = 0; k < n; k++) low[k] = (char)tolower((unsigned char)p[k]);
    int k = phi_cue_find(r, low, (size_t)n);
    return k >= 0 && ((r->cue[k].bits[c >> 6] >> (c & 63)) & 1);
}
/* the number of tokens (1..4) of the first phrase of class c that starts at token i,
 * its words on one line; 0 when none does */
static int phi_phrase(const PhiDoc *d, int i, int c) {
    if (!phi_cue(d, i, c)) return 0; /* the class's first words carry its bit (phi_load_cues) */
    for (int k = 0; k < d->r->n_phrase; k++) {
        const PhiPhrase *p = &d->r->phrase[k];
        if (p->cls != c || i + p->n > d->n) continue;
        int m = 0;
        while (m < p->n && (m == 0 || !d->t[i + m].nl) && d->t[i + m].b1 - d->t[i + m].b0 == p->len[m] &&
               phi_is(d, i + m, p->w[m])) m++;
        if (m == p->n) return m;
    }
    return 0;
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

/* a word no vocabulary knows, or one the name and place lists hold */
static int phi_unfamiliar(const PhiDoc *d, int k) {
    uint64_t lx = d->t[k].lex;
    return !(lx & (LX_COMMON | LX_VOCAB | LX_STOP)) || (lx & (LX_FIRST | LX_LAST | LX_CITY | LX_STATE | LX_SITE));
}

/* The longest place name with one of `flags` (LX_CITY, LX_REGION, LX_COUNTRY) that
 * starts at token i: up to 4 words on one line, with tight '-' and '.' between them
 * (Stoke-on-Trent, St. Louis), in any case, with or without diacritics. Returns its last
 * token, or -1. */
static int phi_place_at(const PhiDoc *d, int i, uint64_t flags) {
    int best = -1, words = 0;
    char raw[128], key[128];
    int n = 0;
    for (int k = i; k < d->n && words < 4; k++) {
        if (k > i && d->t[k].nl) break;
        if (d->t[k].kind == TK_PUNCT) {
            if (k == i || d->t[k].sp || (d->t[k].ch != '-' && d->t[k].ch != '.')) break;
            continue;
        }
        if (!phi_word(d, k) || (k > i && d->t[k - 1].kind != TK_PUNCT && !d->t[k].sp)) break;
        int w = d->t[k].b1 - d->t[k].b0;
        if (n + w + 1 >= (int)sizeof raw) break;
        if (n) raw[n++] = ' ';
        memcpy(raw + n, d->text + d->t[k].b0, (size_t)w);
        n += w;
        words++;
        for (int fold = 0; fold < 2; fold++) {
            int m = phi_place_key(raw, n, key, sizeof key, fold);
            const PhiEntry *e = m > 0 ? phi_lookup(d->r, key, (size_t)m) : NULL;
            if (e && (e->flags & flags)) { best = k; break; }
        }
    }
    return best;
}
static int phi_city_at(const PhiDoc *d, int i) { return phi_place_at(d, i, LX_CITY); }

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

/* an ordinary word written as a name after a name particle: "de Wit", "van Berg" (capitalised,
 * in mixed text, and no stop word, title, credential, month, weekday, hospital or street word) */
static int phi_particle_surname(const PhiDoc *d, int k) {
    return d->mixed && phi_word(d, k) && d->t[k].shape == SH_TITLE &&
           !(d->t[k].lex & (LX_STOP | LX_TITLE | LX_CRED | LX_MONTH | LX_WEEKDAY | LX_HOSPWORD | LX_STREET));
}

/* Collect a name forward from token i: initials, name-like words, surname particles
 * (van der, O', Mc) and hyphenated parts, up to max words on one line. Returns the
 * index after the name (i when none). The first word uses `lenient_first`. */
static int phi_take_name(PhiDoc *d, int i, int max, int lenient_first, int type, const char *src, int trig) {
    int k = i, words = 0, real = 0, particle = 0;
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
            (phi_namelike(d, after, 1) || (words > 0 && phi_particle_surname(d, after))) &&
            (d->mixed ? phi_cap(&d->t[after]) : 1) && words + 1 < max) {
            phi_mark(d, k, k, type, src, trig);
            k++;
            if (phi_punct(d, k, '.')) { phi_mark(d, k, k, type, src, trig); k++; }
            particle = 1;
            continue;
        }
        /* after a particle its name was checked leniently already (Mr Ó Brien), and a
           capitalised ordinary word is a name there too (Dr Pieter de Wit) */
        int ok = phi_namelike(d, k, particle || (words == 0 ? lenient_first != 0 : 0)) || (particle && phi_particle_surname(d, k));
        particle = 0;
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

/* ---- helpers shared by several rules ---- */

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

/* hospital words that are part of the name (Memorial, Adventist) rather than its head */
static int phi_hosp_nameish(const PhiDoc *d, int i) {
    return phi_cue(d, i, CUE_HOSPITAL_NAME_WORD);
}

/* ---- the rules, in the order they run (see phi_rules below) ---- */

/* The tokens that overlap bytes [a, b): the first one's index (or -1 when none) and
 * *last; *tk is a cursor that only moves forward, for callers that scan the text once. */
static int phi_tokens_in(const PhiDoc *d, int *tk, size_t a, size_t b, int *last) {
    while (*tk < d->n && (size_t)d->t[*tk].b1 <= a) (*tk)++;
    *last = -1;
    for (int k = *tk; k < d->n && (size_t)d->t[k].b0 < b; k++) *last = k;
    return *last >= 0 ? *tk : -1;
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
            for (int k = 0; k < d->r->n_phrase && !type; k++) {
                const PhiPhrase *tld = &d->r->phrase[k];
                if (tld->cls != CUE_WEB_DOMAIN_ENDING) continue;
                size_t n = tld->len[0];
                for (size_t p = a + 1; p + n <= b; p++) {
                    if (!strncasecmp(s + p, tld->w[0], n) && (p + n == b || s[p + n] == '/' || s[p + n] == ':')) {
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
            /* a dotted quad inside other characters ("ip=|10.0.0.1|"): letters, digits,
             * dots, '/' and '-' must not touch it on either side (an ABG's 80/48/7.45.34.7) */
            for (size_t p = a; p < b && !type; p++) {
                if (!isdigit((unsigned char)s[p]) || (p > a && (isalnum((unsigned char)s[p - 1]) || strchr("./-", s[p - 1])))) continue;
                size_t q = p;
                int quads = 0, good = 1;
                while (good && quads < 4) {
                    int nd = 0, val = 0;
                    while (q < b && isdigit((unsigned char)s[q]) && nd < 4) { val = val * 10 + (s[q++] - '0'); nd++; }
                    good = nd >= 1 && nd <= 3 && val <= 255;
                    if (good && ++quads < 4) { if (q < b && s[q] == '.') q++; else good = 0; }
                }
                if (good && quads == 4 && (q == b || !(isalnum((unsigned char)s[q]) || strchr("./-", s[q])))) {
                    a = p;
                    b = q;
                    type = PT_IP;
                    src = "rule:ip-address";
                }
            }
        }
        if (!type) { /* IPv6: hex groups and ':' (one '::' may stand for zeros), 3+ colons */
            int colons = 0, hex = 0, ok = 1, run = 0, dbl = 0, digits = 0;
            for (size_t p = a; p < b && ok; p++) {
                char c = s[p];
                if (isxdigit((unsigned char)c)) { if (++run > 4) ok = 0; hex++; digits += isdigit((unsigned char)c) != 0; }
                else if (c == ':') { if (p > a && s[p - 1] == ':') { if (dbl++) ok = 0; } colons++; run = 0; }
                else if (c == '%' || c == '/') break; /* zone, prefix length */
                else ok = 0;
            }
            if (ok && colons >= 3 && (colons <= 7) && hex >= 4 && digits > 0 && (dbl || colons == 7)) { type = PT_IP; src = "rule:ip-address"; }
        }
        if (!type && b - a >= 16 && isdigit((unsigned char)s[a]) && isdigit((unsigned char)s[a + 3]) && s[a + 4] == '-' &&
            s[a + 7] == '-' && (s[a + 10] == 'T' || s[a + 10] == 't') && isdigit((unsigned char)s[a + 11]) && s[a + 13] == ':') {
            type = PT_DATE; /* an ISO 8601 timestamp: 2024-05-14T19:41:07Z */
            src = "rule:timestamp";
        }
        if (!type && s[a] == '@' && b - a >= 3 && isalpha((unsigned char)s[a + 1])) { /* a handle: @name_of_someone */
            int ok = 1, letters = 0;
            for (size_t p = a + 1; p < b && ok; p++) {
                if (isalnum((unsigned char)s[p])) letters++;
                else if (s[p] != '_' && s[p] != '.' && s[p] != '-') ok = 0;
            }
            if (ok && letters >= 2) { type = PT_USERNAME; src = "rule:handle"; }
        }
        if (!type) continue;
        int last, first = phi_tokens_in(d, &tk, a, b, &last);
        if (first >= 0) phi_mark(d, first, last, type, src, -1);
    }
}

/* header fields: "Name: ...", "Address: ...", "DOB: ...", "GP: ..." */
static void phi_rule_headers(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!phi_punct(d, i, ':') || !phi_word(d, i - 1)) continue;
        const PhiTok *lab = &d->t[i - 1];
        int what = (lab->lex & LX_HEADER) && lab->e ? lab->e->aux_header : 0;
        if (phi_cue(d, i - 1, CUE_HEADER_BIRTH)) what = 3;
        if (phi_cue(d, i - 1, CUE_HEADER_RELATIVE)) what = 6;
        /* a letter's "Re: John Ashworth, DOB ...": the patient (capitalised, mixed text) */
        if (phi_cue(d, i - 1, CUE_HEADER_RE) && d->mixed && lab->shape == SH_TITLE && i + 1 < d->n && !d->t[i + 1].nl && phi_cap(&d->t[i + 1])) what = 1;
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
            if (k > j) phi_mark(d, j, k - 1, phi_cue(d, i - 1, CUE_HEADER_CITY) ? PT_CITY : (phi_cue(d, i - 1, CUE_HEADER_ZIP)) ? PT_ZIP : phi_cue(d, i - 1, CUE_COUNTY_WORD) ? PT_COUNTY : PT_STREET, "rule:header-field", i - 1);
        } else if (what == 3) {
            if (!phi_cue(d, i - 1, CUE_HEADER_DOB)) continue;
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


/* ---- already masked: MIMIC-style placeholders ---- */

/* "[**Last Name (NamePattern1) 1234**]", "[**2101-4-5**]", "[**Hospital1 18**]": PHI that
 * a de-identifier already replaced; typed by the words inside (data/phi_cues.txt,
 * placeholder.*), DATE when only digits and '-', else OTHER */
static void phi_rule_placeholders(PhiDoc *d) {
    const char *s = d->text;
    for (size_t a = 0; a + 5 < d->len; a++) {
        if (s[a] != '[' || s[a + 1] != '*' || s[a + 2] != '*') continue;
        const char *end = NULL;
        for (size_t b = a + 3; b + 2 < d->len && b < a + 200 && s[b] != '\n'; b++)
            if (s[b] == '*' && s[b + 1] == '*' && s[b + 2] == ']') { end = s + b + 3; break; }
        if (!end) continue;
        size_t b = (size_t)(end - s);
        int type = PT_DATE;
        for (size_t k = a + 3; k + 3 < b; k++) if (!isdigit((unsigned char)s[k]) && s[k] != '-' && s[k] != '/' && s[k] != ' ') type = PT_OTHER;
        int first = -1, last = -1;
        for (int k = 0; k < d->n; k++) {
            if ((size_t)d->t[k].b1 <= a) continue;
            if ((size_t)d->t[k].b0 >= b) break;
            if (first < 0) first = k;
            last = k;
            if (type == PT_OTHER) {
                if (phi_cue(d, k, CUE_PLACEHOLDER_NAME)) type = PT_NAME;
                else if (phi_cue(d, k, CUE_PLACEHOLDER_PLACE)) type = PT_LOCATION;
                else if (phi_cue(d, k, CUE_PLACEHOLDER_DATE)) type = PT_DATE;
                else if (phi_cue(d, k, CUE_PLACEHOLDER_NUMBER)) type = PT_ID;
                else if (phi_cue(d, k, CUE_PLACEHOLDER_PHONE)) type = PT_PHONE;
            }
        }
        if (first >= 0) phi_mark(d, first, last, type, "rule:placeholder", -1);
        a = b - 1;
    }
}

/* ---- PHI known from the record ---- */

/* the PHI type named by a known string's type, or a guess from its shape */
static int phi_known_type(const char *type, const char *s) {
    for (int t = 1; t < PT_COUNT; t++) if (type && !strcmp(type, phi_type_name[t])) return t;
    int digits = 0, at = 0;
    for (const char *p = s; *p; p++) { digits += isdigit((unsigned char)*p) != 0; at |= *p == '@'; }
    return at ? PT_EMAIL : digits ? PT_ID : PT_NAME;
}

/* The record's known PHI ("known_phi"): every occurrence of each string in any case;
 * for a name, every occurrence of each of its words (but particles and titles); for a
 * number, every occurrence of its digits whatever separates them (7730215, 773-0215). */
static void phi_rule_known(PhiDoc *d) {
    for (int q = 0; q < d->n_known; q++) {
        const char *s = d->known[q];
        size_t sl = strlen(s);
        int type = phi_known_type(d->known_types ? d->known_types[q] : NULL, s);
        char digits[64];
        int nd = 0, letters = 0;
        for (size_t k = 0; k < sl; k++) {
            if (isdigit((unsigned char)s[k]) && nd < 63) digits[nd++] = s[k];
            letters += isalpha((unsigned char)s[k]) || (unsigned char)s[k] >= 0x80;
        }
        /* the whole string, case-insensitively, on token boundaries */
        for (int i = 0; i < d->n; i++) {
            size_t b0 = (size_t)d->t[i].b0;
            if (b0 + sl > d->len || strncasecmp(d->text + b0, s, sl)) continue;
            int j = i;
            while (j + 1 < d->n && (size_t)d->t[j + 1].b1 <= b0 + sl) j++;
            if ((size_t)d->t[j].b1 != b0 + sl) continue;
            phi_mark(d, i, j, type, "rule:known-phi", -1);
        }
        /* a number: its digits in a row of number tokens */
        if (nd >= 4 && !letters) {
            for (int i = 0; i < d->n; i++) {
                if (d->t[i].kind != TK_NUM) continue;
                int got = 0, j = i;
                for (; j < d->n && got < nd; j++) {
                    const PhiTok *t = &d->t[j];
                    if (j > i && t->nl) break;
                    if (t->kind == TK_PUNCT) { if (!strchr("-./() ", t->ch ? t->ch : 'x')) break; continue; }
                    if (t->kind != TK_NUM || got + t->ndig > nd || memcmp(d->text + t->b0, digits + got, t->ndig)) break;
                    got += t->ndig;
                }
                if (got == nd) phi_mark(d, i, j - 1, type, "rule:known-phi", -1);
            }
        }
        /* a name: each of its words wherever it stands alone */
        if (type == PT_NAME || type == PT_PATIENT || type == PT_RELATIVE || type == PT_DOCTOR) {
            PhiDoc w;
            char e[SR_ERR_LEN];
            if (phi_doc_open(&w, d->r, s, sl, e) < 0) continue;
            for (int k = 0; k < w.n; k++) {
                const PhiTok *t = &w.t[k];
                if (t->kind != TK_WORD || t->nalpha < 2 || (t->lex & (LX_NAMEPART | LX_TITLE | LX_STOP | LX_CRED))) continue;
                for (int i = 0; i < d->n; i++) {
                    if (d->t[i].kind != TK_WORD || d->t[i].b1 - d->t[i].b0 < t->b1 - t->b0) continue;
                    int n = t->b1 - t->b0, m = d->t[i].b1 - d->t[i].b0;
                    if (strncasecmp(d->text + d->t[i].b0, s + t->b0, (size_t)n)) continue;
                    /* the word itself, or with a possessive 's */
                    if (m != n && !(m == n + 2 && d->text[d->t[i].b0 + n] == '\'' && (d->text[d->t[i].b0 + n + 1] | 32) == 's')) continue;
                    phi_mark_name(d, i, type, "rule:known-phi", -1, 1);
                }
            }
            phi_doc_close(&w);
        }
    }
}

/* ---- look-alikes: eponyms ---- */

/* "Hashimoto thyroiditis", "Charcot-Marie-Tooth disease", "Babinski's sign", "mallory
 * weiss tear": names before a strong eponym head (data/phi_cues.txt) are medicine, not
 * PHI. Up to three name-like words and their hyphens; not after a title (Dr Parkinson). */
static void phi_rule_eponyms(PhiDoc *d) {
    for (int h = 1; h < d->n; h++) {
        if (!phi_cue(d, h, CUE_EPONYM_HEAD)) continue;
        int k = h - 1, words = 0, first = -1;
        while (k >= 0 && words < 3 && !d->t[k + 1].nl && phi_free(d, k)) {
            const PhiTok *t = &d->t[k];
            if (phi_punct(d, k, '-') && !t->sp && k > 0 && !d->t[k + 1].sp && phi_word(d, k - 1)) { k--; continue; }
            /* the apostrophe of a plural-style possessive: "Graves' disease" */
            if (words == 0 && phi_punct(d, k, '\'') && !t->sp && k > 0 && phi_word(d, k - 1) && d->text[d->t[k - 1].b1 - 1] == 's') { k--; continue; }
            if (!phi_word(d, k) || (t->lex & (LX_STOP | LX_TITLE | LX_RELATION | LX_STATE)) || t->nalpha < 2) break;
            int name = d->mixed ? phi_cap(t) : phi_unfamiliar(d, k);
            if (!name) break;
            if (d->mixed && !phi_unfamiliar(d, k) && words == 0 && !(k + 1 < h)) { /* "Acute disease": an ordinary word */
                int possessive = t->b1 - t->b0 > 2 && d->text[t->b1 - 2] == '\'';
                int joined = phi_punct(d, k - 1, '-') && !t->sp && k >= 2 && !d->t[k - 1].sp && phi_word(d, k - 2); /* Charcot-Marie-Tooth */
                if (!possessive && !joined) break;
            }
            first = k;
            words++;
            k--;
        }
        if (first < 0) continue;
        if (k >= 0 && !d->t[k + 1].nl && ((d->t[k].lex & LX_TITLE) || (phi_punct(d, k, '.') && (phi_lex(d, k - 1) & LX_TITLE)))) continue;
        for (int m = first; m < h; m++) d->type[m] = PT_SAFE;
    }
}

/* ---- addresses beyond the house number + street word ---- */

/* a street word after a name: the English ones (lexicon) and the others */
static int phi_street_word(const PhiDoc *d, int k) {
    return phi_word(d, k) && ((d->t[k].lex & LX_STREET) || phi_cue(d, k, CUE_STREET_MORE));
}
/* a word of a street's or a place's name: capitalised in mixed text (or a particle) */
static int phi_name_word(const PhiDoc *d, int k) {
    if (!phi_word(d, k) || (d->t[k].lex & LX_STOP && !phi_cue(d, k, CUE_STREET_PARTICLE))) return 0;
    if (phi_cue(d, k, CUE_STREET_PARTICLE)) return 1;
    return d->mixed ? phi_cap(&d->t[k]) : 1;
}

/* The street part of an address line, starting at token i; returns its last token or -1:
 *   [Flat|Unit|Suite|Plot N(/N)[,]]* [Building Name House,] N[A] Name Words Street-word
 *   N, Street-first Name Words [N]        (3840, chemin des Érables-Rouges; Rua do X 1634)
 *   Name Words Street-word                (Rathmichael Road, Upper George's Street)
 * `strict`: the last form only in mixed text, the name capitalised. */
static int phi_street_at(const PhiDoc *d, int i, int strict) {
    int k = i, units = 0;
    /* in text without case an address begins a line or a field (after ':' or ',') */
    if (!d->mixed && i > 0 && !d->t[i].nl && !phi_punct(d, i - 1, ':') && !phi_punct(d, i - 1, ',')) return -1;
    /* unit prefixes: "Flat 6,", "Suite 4, Level 2,", "Unit 5/22" */
    while (k < d->n && phi_cue(d, k, CUE_UNIT_WORD) && (d->mixed ? d->t[k].shape != SH_LOWER : 1)) {
        int m = k + 1;
        if (phi_punct(d, m, '.')) m++;
        if (m >= d->n || d->t[m].nl || !(d->t[m].kind == TK_NUM || d->t[m].kind == TK_ALNUM ||
                                         (d->mixed && d->t[m].kind == TK_WORD && d->t[m].nalpha == 1 && d->t[m].shape == SH_UPPER))) break;
        if (phi_punct(d, m + 1, '.') && phi_num(d, m + 2)) break; /* LEVEL 2.2 */
        m++;
        while (m + 1 < d->n && (phi_punct(d, m, '/') || phi_punct(d, m, '-')) && !d->t[m].sp && (d->t[m + 1].kind == TK_NUM || d->t[m + 1].kind == TK_ALNUM)) m += 2;
        units++;
        if (phi_punct(d, m, ',')) m++;
        if (!phi_punct(d, m - 1, ',') && !(m < d->n && !d->t[m].nl && phi_word(d, m))) break; /* "Suite 300" alone needs a comma or a street after */
        k = m;
        if (k >= d->n || d->t[k].nl) return d->mixed ? k - 1 - (phi_punct(d, k - 1, ',') ? 1 : 0) : -1;
    }
    /* a building's name: "Mercer House," */
    if (units && k < d->n) {
        int m = k, w = 0;
        while (m < d->n && !d->t[m].nl && phi_name_word(d, m) && !phi_cue(d, m, CUE_BUILDING_WORD) && w < 3) m++, w++;
        if (w && phi_cue(d, m, CUE_BUILDING_WORD) && (phi_punct(d, m + 1, ',') || d->t[m + 1 < d->n ? m + 1 : m].nl)) k = phi_punct(d, m + 1, ',') ? m + 2 : m + 1;
    }
    if (k >= d->n || (d->t[k].nl && k > i)) return units ? k - 1 : -1;
    /* N[A] (or N, before a street word that comes first) */
    int num = -1;
    if ((d->t[k].kind == TK_NUM && d->t[k].ndig <= 5) || (d->t[k].kind == TK_ALNUM && d->t[k].ndig <= 5 && d->t[k].nalpha <= 2 && isdigit((unsigned char)d->text[d->t[k].b0]))) {
        num = k++;
        if (phi_punct(d, k, '-') && !d->t[k].sp && phi_num(d, k + 1)) k += 2; /* 12-14 */
        if (phi_punct(d, k, ',')) k++;
    }
    if (k >= d->n || d->t[k].nl) return -1;
    /* the street word first: Rua do Arenque (1634) */
    /* (in text without case only after a house number: "VIA FOLEY" is a route) */
    if (phi_cue(d, k, CUE_STREET_FIRST) && (d->mixed || num >= 0 || units)) {
        int m = k + 1, w = 0, proper = 0;
        while (m < d->n && !d->t[m].nl && w < 4 && (phi_name_word(d, m) || (phi_punct(d, m, '-') && !d->t[m].sp))) {
            if (d->t[m].kind != TK_PUNCT) { w++; proper |= !phi_cue(d, m, CUE_STREET_PARTICLE) && phi_unfamiliar(d, m); }
            m++;
        }
        if (w && proper && !phi_cue(d, m - 1, CUE_STREET_PARTICLE)) {
            if (m < d->n && !d->t[m].nl && phi_num(d, m) && d->t[m].ndig <= 5) m++;
            if (num >= 0 || units || phi_num(d, m - 1)) return m - 1;
        }
        return units ? k - 1 : -1;
    }
    /* Name Words Street-word ("E. Larchmont Ave", "N. Mallory St": a direction's letter first) */
    int m = k, w = 0;
    if (m + 1 < d->n && phi_word(d, m) && d->t[m].nalpha == 1 && d->t[m].shape == SH_UPPER && strchr("NSEW", d->text[d->t[m].b0]) &&
        phi_punct(d, m + 1, '.') && !d->t[m + 1].sp && m + 2 < d->n && !d->t[m + 2].nl && phi_name_word(d, m + 2)) m += 2;
    while (m < d->n && (m == k || !d->t[m].nl) && w < 4 && !phi_street_word(d, m) &&
           (phi_name_word(d, m) || (num >= 0 && phi_word(d, m) && d->t[m].nalpha == 1 && d->t[m].shape == SH_UPPER) ||
            (phi_punct(d, m, '-') && !d->t[m].sp) || (phi_punct(d, m, '\'') && !d->t[m].sp))) {
        if (d->t[m].kind != TK_PUNCT) w++;
        m++;
    }
    if (!w || m >= d->n || d->t[m].nl || !phi_street_word(d, m)) return units && num < 0 ? k - 1 : -1;
    if (d->mixed && !phi_cap(&d->t[m])) return -1;
    /* "Kestrel Lane Surgery": a street's name that names a practice */
    if (num < 0 && !units && m + 1 < d->n && !d->t[m + 1].nl && phi_word(d, m + 1) && phi_cap(&d->t[m + 1]) &&
        (phi_cue(d, m + 1, CUE_FACILITY_HEAD) || phi_cue(d, m + 1, CUE_ORG_HEAD) || (d->t[m + 1].lex & LX_HOSPWORD))) return -1;
    if (!d->mixed) { /* "1 ST DEGREE": a short street word must close the address, the name be a word */
        int longest = 0;
        for (int q = k; q < m; q++) if (d->t[q].nalpha > longest) longest = d->t[q].nalpha;
        if (longest < 3) return -1;
        if (d->t[m].nalpha <= 3 && !(m + 1 >= d->n || d->t[m + 1].nl || phi_punct(d, m + 1, ',') || phi_punct(d, m + 1, '.'))) return -1;
    }
    if (num < 0 && !units) { /* no number: only a proper name in mixed text */
        if (strict && !d->mixed) return -1;
        int proper = 0;
        for (int q = k; q < m; q++) if (phi_word(d, q) && !phi_cue(d, q, CUE_STREET_PARTICLE) && phi_unfamiliar(d, q)) proper = 1;
        if (!proper && strict) return -1;
        if (phi_sentence_start(d, k) && !proper) return -1;
    }
    if (phi_punct(d, m + 1, '.') && !d->t[m + 1].sp) m++;
    return m;
}

static void phi_rule_more_streets(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!phi_free(d, i) || d->t[i].kind == TK_PUNCT) continue;
        if (i > 0 && !d->t[i].nl && phi_street_at(d, i - 1, 1) >= i) continue;
        int e = phi_street_at(d, i, 1);
        if (e < i) continue;
        /* a unit after the street: ", Suite 300", ", Apt 4", ", Bldg C" */
        while (phi_punct(d, e + 1, ',') && e + 3 < d->n && !d->t[e + 2].nl && phi_cue(d, e + 2, CUE_UNIT_WORD) &&
               (d->mixed ? phi_cap(&d->t[e + 2]) : 1) && (phi_num(d, e + 3) || d->t[e + 3].kind == TK_ALNUM ||
               (phi_word(d, e + 3) && d->t[e + 3].nalpha == 1 && d->t[e + 3].shape == SH_UPPER)) && !d->t[e + 3].nl) e += 3;
        /* a house's name before it on its line: "Rose Cottage, 14 Barrow Hill Lane" */
        int a = i;
        if (d->mixed && phi_punct(d, i - 1, ',') && i >= 2) {
            int h = i - 2, w = 0;
            while (h >= 0 && w < 4 && (phi_name_word(d, h) || phi_is(d, h, "the")) && !(d->t[h].lex & (LX_TITLE | LX_HEADER))) {
                w++;
                if (d->t[h].nl) break;
                h--;
            }
            if (w && (h < 0 || d->t[h + 1].nl) && phi_free(d, h + 1)) a = h + 1;
        }
        phi_mark(d, a, e, PT_STREET, "rule:street-line", -1);
        i = e;
    }
}

/* postcodes beyond the US ZIP and the UK's: Canada (H3H 1V4), Ireland's Eircode (A96
 * K7T2), and 4- and 6-digit postcodes at the end of an address line after a state or a
 * town (Westmead NSW 2145, Auckland 0620, Navi Mumbai - 410210) */
static int phi_postcode_at(const PhiDoc *d, int i, int *end) {
    const PhiTok *t = &d->t[i];
    const char *p = d->text + t->b0;
    int n = t->b1 - t->b0;
    *end = i;
    if (t->kind == TK_ALNUM && n == 3 && isalpha((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && isalpha((unsigned char)p[2]) &&
        i + 1 < d->n && d->t[i + 1].kind == TK_ALNUM && !d->t[i + 1].nl && d->t[i + 1].b1 - d->t[i + 1].b0 == 3) {
        const char *q = d->text + d->t[i + 1].b0;
        if (isdigit((unsigned char)q[0]) && isalpha((unsigned char)q[1]) && isdigit((unsigned char)q[2])) { *end = i + 1; return 1; }
    }
    if (t->kind == TK_ALNUM && n == 3 && isupper((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && (isdigit((unsigned char)p[2]) || p[2] == 'W') &&
        i + 1 < d->n && !d->t[i + 1].nl && d->t[i + 1].b1 - d->t[i + 1].b0 == 4 && d->t[i + 1].kind == TK_ALNUM) { *end = i + 1; return 1; }
    if (t->kind == TK_NUM && (t->ndig == 4 || t->ndig == 6)) {
        int nx = i + 1;
        int line_end = nx >= d->n || d->t[nx].nl || phi_punct(d, nx, ',') || phi_punct(d, nx, ')');
        if (!line_end) return 0;
        int k = i - 1;
        if (phi_punct(d, k, '-') && t->ndig == 6) k--;
        if (k < 0 || d->t[i].nl || !phi_word(d, k)) return 0;
        if (t->ndig == 4 && phi_cue(d, k, CUE_STATE_CODE4) && d->t[k].shape == SH_UPPER) return 1;
        if ((d->t[k].lex & (LX_MONTH | LX_STOP | LX_UNIT)) || (d->mixed && !phi_cap(&d->t[k])) || !d->mixed) return 0;
        if (d->t[k].lex & (LX_CITY | LX_REGION)) return 1;
        return phi_punct(d, k - 1, ',') && d->type[k - 1 > 0 ? k - 2 : 0] != PT_NONE; /* "..., Takapuna, Auckland 0620" */
    }
    return 0;
}

/* the town, state and country around a postcode, and the fields of its line before */
static void phi_postal_line(PhiDoc *d, int z, int zend) {
    int k = z - 1;
    if (phi_punct(d, k, '-') || phi_punct(d, k, ',')) k--;
    /* "Montréal (Québec) H3H 1V4": the state in brackets */
    if (phi_punct(d, k, ')') && k >= 2 && !d->t[k].nl) {
        int o = k - 1;
        while (o > 0 && o > k - 5 && !phi_punct(d, o, '(') && !d->t[o].nl) o--;
        if (phi_punct(d, o, '(') && o + 1 < k && phi_place_at(d, o + 1, LX_REGION) == k - 1) { phi_mark(d, o + 1, k - 1, PT_STATE, "rule:postal-line", z); k = o - 1; }
    }
    if (k >= 0 && !d->t[k + 1].nl && phi_cue(d, k, CUE_STATE_CODE) && d->t[k].shape == SH_UPPER) { phi_mark(d, k, k, PT_STATE, "rule:postal-line", z); k--; }
    else if (k >= 0 && !d->t[k + 1].nl) { /* a state's or a county's name before the postcode */
        for (int a = k; a >= 0 && a > k - 4 && !d->t[a + 1].nl; a--)
            if (phi_place_at(d, a, LX_REGION | LX_CITY) == k && (!d->mixed || phi_cap(&d->t[a]))) {
                int co = a - 1;
                if (phi_punct(d, co, '.')) co--;
                if (co >= 0 && phi_cue(d, co, CUE_COUNTY_ABBREV) && !d->t[a].nl) { phi_mark(d, co, k, PT_COUNTY, "rule:postal-line", z); k = co - 1; }
                else if (d->t[a].lex & LX_REGION) { phi_mark(d, a, k, PT_STATE, "rule:postal-line", z); k = a - 1; }
                break;
            }
    }
    if (phi_punct(d, k, ',')) k--;
    /* the town: up to 3 name words */
    int w = 0;
    while (k >= 0 && w < 3 && !d->t[k + 1].nl && (phi_name_word(d, k) || (phi_punct(d, k, '-') && !d->t[k].sp)) && !(d->t[k].lex & (LX_TITLE | LX_HEADER))) {
        if (d->t[k].kind != TK_PUNCT) { phi_mark(d, k, k, (d->t[k].lex & LX_REGION) && !(d->t[k].lex & LX_CITY) ? PT_STATE : PT_CITY, "rule:postal-line", z); w++; }
        if (d->t[k].nl) { k = -1; break; }
        k--;
    }
    /* earlier fields of the line, right to left: a street, or a locality */
    for (int f = 0; f < 4 && k >= 0 && phi_punct(d, k, ',') && !d->t[k + 1].nl; f++) {
        int b = k - 1, a = b;
        while (a > 0 && !d->t[a].nl && !phi_punct(d, a - 1, ',')) a--;
        if (a < 0 || b < a) break;
        /* the field's address begins at its first number when words lead into it ("lives at 3 The Paddocks") */
        for (int q = a; q < b; q++)
            if (phi_num(d, q) || (d->t[q].kind == TK_ALNUM && isdigit((unsigned char)d->text[d->t[q].b0]))) { a = q; break; }
        int e = phi_street_at(d, a, 0);
        /* a house number and a name: "3 The Paddocks", "12B Kowhai" */
        int house = (phi_num(d, a) || (d->t[a].kind == TK_ALNUM && isdigit((unsigned char)d->text[d->t[a].b0]) && d->t[a].nalpha <= 2)) &&
                    a < b && phi_name_word(d, a + 1);
        if ((e >= b - 1 && e >= a) || house) { phi_mark(d, a, b, PT_STREET, "rule:postal-line", z); k = a - 1; continue; }
        int ok = 1, words = 0;
        for (int q = a; q <= b; q++) {
            if (d->t[q].kind == TK_PUNCT) { if (!strchr(".-'", d->t[q].ch ? d->t[q].ch : ' ')) ok = 0; continue; }
            if (!phi_name_word(d, q) || (d->t[q].lex & (LX_TITLE | LX_HEADER))) ok = 0;
            words++;
        }
        if (!ok || !words || words > 4) break;
        for (int q = a; q <= b; q++) if (d->t[q].kind != TK_PUNCT) phi_mark(d, q, q, PT_CITY, "rule:postal-line", z);
        k = a - 1;
    }
    /* ", Country" after the postcode */
    int c = zend + 1;
    if (phi_punct(d, c, ',')) c++;
    if (c < d->n && !d->t[c].nl) {
        int e = phi_place_at(d, c, LX_COUNTRY);
        if (e >= c) phi_mark(d, c, e, PT_COUNTRY, "rule:postal-line", z);
    }
}

static void phi_rule_postal(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        int e;
        if (phi_free(d, i) && phi_postcode_at(d, i, &e)) phi_mark(d, i, e, PT_ZIP, "rule:postcode", -1);
        else if (d->type[i] != PT_ZIP || (i > 0 && d->type[i - 1] == PT_ZIP && !d->t[i].nl)) continue;
        e = i;
        while (e + 1 < d->n && d->type[e + 1] == PT_ZIP && !d->t[e + 1].nl) e++;
        phi_postal_line(d, i, e);
        i = e;
    }
    /* "Sacramento, CA" at the end of a line or before a bracket: a US town and state */
    for (int i = 2; i < d->n; i++) {
        if (!phi_cue(d, i, CUE_STATE_CODE) || d->t[i].shape != SH_UPPER || d->t[i].nl || !phi_punct(d, i - 1, ',') || !phi_free(d, i)) continue;
        if ((d->t[i].lex & LX_CRED) || phi_is_name_type(d->type[i - 2])) continue; /* "Jane Smith, MD", "Ivy Park, PA" */
        int nx = i + 1;
        if (!(nx >= d->n || d->t[nx].nl || phi_punct(d, nx, '(') || phi_punct(d, nx, ')') || phi_punct(d, nx, '.'))) continue;
        int c = i - 2, w = 0, town = 0;
        while (c >= 0 && w < 3 && phi_name_word(d, c) && d->mixed && !(d->t[c].lex & (LX_TITLE | LX_HEADER)) &&
               !(d->t[c].shape == SH_UPPER && d->t[c].nalpha <= 3)) {
            town |= (d->t[c].lex & LX_CITY) || (d->t[c].shape == SH_TITLE && phi_unfamiliar(d, c));
            w++;
            if (d->t[c].nl) break;
            c--;
        }
        if (!w || !town) continue; /* "Abd soft, ND, NT." */
        phi_mark(d, c + 1 + (c + 1 < i - 1 && d->t[c + 1].kind == TK_PUNCT), i - 2, PT_CITY, "rule:city-state", i);
        phi_mark(d, i, i, PT_STATE, "rule:city-state", -1);
    }
}

/* ---- identifier shapes: codes of letters and digits joined by - / _ . ---- */

/* The tight chain of tokens from i (no space inside): letters/digits joined by one of
 * - / _ . ( ); returns its last token, with its digit count, segments, letters, the
 * longest digit run and whether a run of 3+ digits begins with a zero. */
typedef struct { int last, digits, segments, letters, longest, zero_lead, underscore, dots, free, code_letters, decimal; } PhiChain;

/* a run of letters that a quantity carries (cc, hr, mg, x, 's, am): a unit, not a code */
static int phi_unit_run(const PhiDoc *d, const char *p, int n) {
    char low[16];
    if (n <= 0 || n >= (int)sizeof low) return 0;
    for (int k = 0; k < n; k++) low[k] = (char)tolower((unsigned char)p[k]);
    if (phi_cue_text(d->r, low, n, CUE_COUNT_UNIT) || phi_cue_text(d->r, low, n, CUE_ORDINAL) || phi_cue_text(d->r, low, n, CUE_QUANTITY_UNIT)) return 1;
    const PhiEntry *e = phi_lookup(d->r, low, (size_t)n);
    return e && (e->flags & (LX_UNIT | LX_AGEUNIT | LX_NUMCTX | LX_VENT));
}

static PhiChain phi_chain(const PhiDoc *d, int i) {
    PhiChain c = {i, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
    for (int k = i; k < d->n; k++) {
        const PhiTok *t = &d->t[k];
        if (k > i && (t->sp || t->nl)) break;
        if (t->kind == TK_PUNCT) {
            if (!(t->ch == '-' || t->ch == '/' || t->ch == '_' || t->ch == '.' || t->ch == '(' || t->ch == ')')) break;
            /* brackets only between digits, as in GS1 codes: (01)0506...(17)2811 */
            if ((t->ch == '(' || t->ch == ')') && !((k == i || d->t[k - 1].kind != TK_WORD) && k + 1 < d->n && d->t[k + 1].kind != TK_WORD)) break;
            if (k + 1 >= d->n || d->t[k + 1].sp || d->t[k + 1].nl || (d->t[k + 1].kind == TK_PUNCT && d->t[k + 1].ch != '(')) break;
            c.underscore |= t->ch == '_';
            c.dots += t->ch == '.';
            if (t->ch == '.' && k > i && d->t[k - 1].kind != TK_PUNCT && isdigit((unsigned char)d->text[d->t[k - 1].b1 - 1]) &&
                d->t[k + 1].kind != TK_PUNCT && isdigit((unsigned char)d->text[d->t[k + 1].b0])) c.decimal = 1; /* 33.5, 100.4r */
            continue;
        }
        c.last = k;
        c.segments++;
        c.digits += t->ndig;
        c.letters += t->nalpha;
        if (!phi_free(d, k)) c.free = 0;
        /* digit runs inside the token, and letter runs that are no units */
        const char *p = d->text + t->b0;
        for (int a = 0, n = t->b1 - t->b0; a < n;) {
            if (!isdigit((unsigned char)p[a])) {
                int b = a;
                while (b < n && !isdigit((unsigned char)p[b])) b++;
                /* a code's letters: no unit, no ordinary word (but short capitals: CT-8812);
                 * letters before digits are a code's (V2231), but x3 and q4h */
                int prefix = a == 0 && b < n && b - a == 1 && !(p[a] == 'x' || p[a] == 'X' || p[a] == 'q' || p[a] == 'Q');
                int word = 0;
                int unit = phi_unit_run(d, p + a, b - a);
                if (b - a == n) { /* the whole token */
                    int caps = t->shape == SH_UPPER && b - a <= 4 && !(t->lex & LX_STOP);
                    word = !caps && !phi_unfamiliar(d, k);
                    /* a unit only after digits (30-40cc/hr); before them a code's letter (R-3311),
                     * but a measurement's name (BP-120/80, K-4.3) */
                    if (unit && !c.digits && !(t->lex & (LX_NUMCTX | LX_VENT)) && b - a == 1) unit = 0;
                }
                if ((prefix || !unit) && !word) c.code_letters += b - a;
                a = b;
                continue;
            }
            int b = a;
            while (b < n && isdigit((unsigned char)p[b])) b++;
            if (b - a > c.longest) c.longest = b - a;
            if (b - a >= 3 && p[a] == '0') c.zero_lead = 1;
            a = b;
        }
    }
    return c;
}

/* Codes that identify: V2231-0457, SMH/2023/004417, WX24-H03302, 94-3318027, GB-014,
 * (01)05060244718209(17)281130(21)CVN718204Q; not clinical ones (T2-T4, COVID-19,
 * CA-125, 120/80, 100-120/40-60, HbA1c, 5-FU, PHQ-9) and not dates or decimals. */
static int phi_id_chain(const PhiDoc *d, const PhiChain *c) {
    if (c->segments < 2 || !c->free || c->underscore) return 0;
    if ((c->dots && c->letters == 0) || c->decimal) return 0; /* 1.5.3, 12.04, HCT-33.5, TD-5.15/2.51 */
    if (c->letters && !c->code_letters) return 0; /* quantities: 30-40cc/hr, 700x12x1.0/5, 70's-109/40-50's */
    if (c->letters == 0) /* digits alone: a long group, or 3+ groups with a group of 4+ */
        return c->longest >= 5 || (c->segments >= 3 && c->longest >= 4 && c->digits >= 8);
    return (c->digits >= 4 && c->longest >= 3) || (c->zero_lead && c->digits >= 3) || (c->segments >= 3 && c->digits >= 3 && c->longest >= 2);
}

static void phi_rule_id_shapes(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (d->t[i].kind == TK_PUNCT && !(d->t[i].ch == '(' && i + 1 < d->n && !d->t[i + 1].sp)) continue;
        if (i > 0 && !d->t[i].sp && !d->t[i].nl && d->t[i - 1].kind != TK_PUNCT) continue;
        if (i > 0 && !d->t[i].sp && !d->t[i].nl && d->t[i - 1].kind == TK_PUNCT && strchr("-/_.", d->t[i - 1].ch ? d->t[i - 1].ch : ' ')) continue;
        if (i + 2 >= d->n || d->t[i + 1].kind != TK_PUNCT || d->t[i + 1].sp || d->t[i + 2].sp) continue; /* a chain has 2+ parts */
        PhiChain c = phi_chain(d, i);
        if (c.underscore && c.letters >= 3 && c.free) { /* user names: mstone_rm1939, MCL_AUTOFAX */
            phi_mark(d, i, c.last, PT_USERNAME, "rule:username-shape", -1);
            i = c.last;
            continue;
        }
        /* a reference code: capitals, then 2+ groups of digits (PT-24-1093, REF-2024-00871);
         * its capitals may be a unit's or a test's letters, its digits are too many for a value */
        int ref_code = c.free && !c.decimal && c.segments >= 3 && c.digits >= 6 && c.longest >= 4 && phi_word(d, i) &&
                       (d->t[i].shape == SH_UPPER || (!d->mixed && d->t[i].shape == SH_LOWER)) && d->t[i].nalpha >= 2 &&
                       d->t[i].nalpha <= 4 && c.letters == d->t[i].nalpha &&
                       (phi_punct(d, i + 1, '-') || phi_punct(d, i + 1, '/'));
        if (!ref_code && !phi_id_chain(d, &c)) continue;
        /* a code of letters right before, with a space: "ARH 66-20417", "ND 482-117" */
        int first = i;
        if (i > 0 && d->t[i].sp && !d->t[i].nl && phi_word(d, i - 1) && d->t[i - 1].shape == SH_UPPER && d->t[i - 1].nalpha >= 2 &&
            d->t[i - 1].nalpha <= 4 && phi_free(d, i - 1) && !(d->t[i - 1].lex & (LX_STOP | LX_IDCTX | LX_PHONECTX | LX_NUMCTX | LX_UNIT)) &&
            !phi_cue(d, i - 1, CUE_LABEL_START) && (phi_unfamiliar(d, i - 1) || (phi_lex(d, i - 2) & LX_IDCTX))) first = i - 1;
        phi_mark(d, first, c.last, PT_ID, "rule:id-shape", -1);
        i = c.last;
    }
}

/* The visible digits of a partly hidden identifier: "xxx-xx-4471", "***-**-4471",
 * "XXXX XXXX XXXX 0093", "##-7781": groups of x, X, * or # (2+ each) joined by '-' or a
 * space (a single group only by '-'), then 2 to 6 digits. The digits are the identifier's own (the last four of an
 * SSN, a card, an account) and are masked with the groups; the 3-2-4 shape is an SSN. */
static void phi_rule_partial_ids(PhiDoc *d) {
    const char *s = d->text;
    size_t len = d->len;
    int tk = 0;
    for (size_t a = 0; a < len; a++) {
        char c0 = s[a];
        if (!(c0 == 'x' || c0 == 'X' || c0 == '*' || c0 == '#')) continue;
        if (a > 0 && (isalnum((unsigned char)s[a - 1]) || s[a - 1] == '*' || s[a - 1] == '#')) continue;
        size_t p = a;
        int groups = 0, sizes[8];
        for (;;) {
            size_t g = p;
            while (p < len && (s[p] == 'x' || s[p] == 'X' || s[p] == '*' || s[p] == '#')) p++;
            if (p - g < 2 || groups == 8) { p = g; break; }
            sizes[groups++] = (int)(p - g);
            if (p < len && (s[p] == '-' || s[p] == ' ')) p++;
            else break;
        }
        if (!groups || p >= len || !isdigit((unsigned char)s[p]) || (s[p - 1] != '-' && s[p - 1] != ' ')) continue;
        if (s[p - 1] == ' ' && groups == 1) continue; /* "xx 12 mg": one group and a space is no identifier */
        size_t q = p;
        while (q < len && isdigit((unsigned char)s[q])) q++;
        if (q - p < 2 || q - p > 6 || (q < len && isalnum((unsigned char)s[q]))) continue;
        int type = groups == 2 && sizes[0] == 3 && sizes[1] == 2 && q - p == 4 ? PT_SSN : PT_ID;
        int last, first = phi_tokens_in(d, &tk, a, q, &last);
        if (first >= 0 && phi_free(d, last)) phi_mark(d, first, last, type, "rule:partial-id", -1);
        a = q;
    }
}

/* user names after a login or account cue: "login tamsin.or84", "by jbarraclough2" */
static void phi_rule_usernames(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_cue(d, i, CUE_USER_CUE) || d->t[i + 1].nl) continue;
        int j = i + 1;
        if (phi_punct(d, j, ':')) j++;
        if (j >= d->n || d->t[j].nl || !phi_free(d, j) || d->t[j].kind == TK_PUNCT) continue;
        PhiChain c = phi_chain(d, j);
        if (isdigit((unsigned char)d->text[d->t[j].b0]) || c.code_letters < 3) continue; /* by 6am, by 10cc */
        /* a login has digits, dots or underscores, or is lower case with no known word */
        int shaped = c.digits > 0 || c.dots > 0 || c.underscore;
        if (!shaped && !(d->t[j].shape == SH_LOWER && d->mixed && phi_unfamiliar(d, j) && c.segments == 1)) continue;
        if (c.digits > 0 && c.letters == 0) continue;
        phi_mark(d, j, c.last, PT_USERNAME, "rule:username-cue", i);
        i = c.last;
    }
}

/* ---- more names and places ---- */

/* "D WHITTAKER", "J. TRAN-OKAFOR": an initial and a surname in capitals, in mixed text */
static void phi_rule_caps_names(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_initial(d, i) || !phi_free(d, i) || strchr("aiox", tolower((unsigned char)d->text[d->t[i].b0]))) continue;
        if (d->mixed && d->t[i].shape != SH_UPPER) continue;
        if (i > 0 && !d->t[i].sp && phi_punct(d, i - 1, '/')) continue; /* S/P AMI */
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (j >= d->n || d->t[j].nl || !phi_word(d, j) || d->t[j].nalpha < (d->mixed ? 3 : 4) || !phi_free(d, j)) continue;
        if (d->mixed ? d->t[j].shape != SH_UPPER : d->t[j].shape != d->t[i].shape) continue;
        uint64_t lx = d->t[j].lex;
        if (lx & (LX_STOP | LX_UNIT | LX_NUMCTX | LX_CRED | LX_PLACESTOP | LX_MONTH | LX_WEEKDAY | LX_TITLE | LX_VENT)) continue;
        /* a listed surname that is no ordinary word, or an unknown word (in mixed text a
         * listed surname that is one too: D WHITTAKER) */
        if (!(((lx & LX_LAST) && (d->mixed || !(lx & (LX_COMMON | LX_VOCAB)))) || !(lx & (LX_COMMON | LX_VOCAB)))) continue;
        if (!d->mixed) { /* without case: shorthand letters (L SUBCLAVIAN, W LETHARGY) abound; a
                          * listed surname set off by brackets or commas ("(PC R ASPINALL,") */
            if (strchr("lwcpsux", tolower((unsigned char)d->text[d->t[i].b0])) || !(lx & LX_LAST)) continue;
            int before = i == 0 || d->t[i].nl || phi_punct(d, i - 1, '(') || phi_punct(d, i - 1, ',') || phi_punct(d, i - 1, ':') ||
                         (phi_word(d, i - 1) && d->t[i - 1].nalpha <= 3 && !(d->t[i - 1].lex & LX_STOP) && d->t[i].sp) ||
                         (phi_lex(d, i - 1) & LX_ROLEWEAK);
            int a = j;
            if (phi_punct(d, a + 1, '-') && phi_tight(d, a + 1) && phi_tight(d, a + 2) && phi_word(d, a + 2)) a += 2; /* TRAN-OKAFOR */
            int after = a + 1 >= d->n || d->t[a + 1].nl || phi_punct(d, a + 1, '(') || phi_punct(d, a + 1, ',') || phi_punct(d, a + 1, ')');
            if (!before || !after) continue;
        }
        if (j + 1 < d->n && !d->t[j + 1].nl && (phi_lex(d, j + 1) & LX_EPONYM)) continue;
        phi_mark_name(d, i, PT_NAME, "rule:caps-name", -1, 0);
        int e = j;
        if (phi_punct(d, e + 1, '-') && phi_tight(d, e + 1) && phi_tight(d, e + 2) && phi_word(d, e + 2) && d->t[e + 2].shape == SH_UPPER) e += 2;
        phi_mark(d, j, e, PT_NAME, "rule:caps-name", -1);
        d->t[j].ctx_name = 1;
        i = e;
    }
}

/* "from Montana", "lives in Coeur d'Alene, Idaho", "Co. Dublin": a state, province or
 * county by name, capitalised, after a place word or a town and a comma */
static void phi_rule_regions(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!d->mixed || !phi_word(d, i) || !phi_free(d, i) || !phi_cap(&d->t[i])) continue;
        int county = phi_cue(d, i - 1, CUE_COUNTY_ABBREV) || (phi_punct(d, i - 1, '.') && phi_cue(d, i - 2, CUE_COUNTY_ABBREV));
        int p = i - 1;
        if (phi_punct(d, p, '.') && county) p--;
        int cue = county || phi_cue(d, p, CUE_CITY_PREPOSITION) || phi_cue(d, p, CUE_REGION_CUE) ||
                  (phi_punct(d, i - 1, ',') && i >= 2 && (d->type[i - 2] == PT_CITY || (d->t[i - 2].lex & LX_CITY)) && phi_cap(&d->t[i - 2]));
        if (!cue) continue; /* the cheap test first: the gazetteer lookup below builds keys */
        int e = phi_place_at(d, i, county ? (LX_REGION | LX_CITY) : LX_REGION | LX_STATE);
        if (e < i) {
            if (!(d->t[i].lex & LX_STATE)) continue;
            e = i;
        }
        if (county) { phi_mark(d, p, e, PT_COUNTY, "rule:region", p); i = e; continue; }
        phi_mark(d, i, e, PT_STATE, "rule:region", p);
        /* the town before ", Idaho" */
        if (phi_punct(d, i - 1, ',') && i >= 2 && phi_free(d, i - 2)) {
            int c = i - 2, w = 0;
            while (c >= 0 && w < 3 && (phi_name_word(d, c) || (phi_punct(d, c, '\'') && !d->t[c].sp)) && !d->t[c + 1].nl && !(d->t[c].lex & LX_STOP)) { w++; c--; }
            if (w) phi_mark(d, c + 1, i - 2, PT_CITY, "rule:region", i);
        }
        i = e;
    }
}

/* "Rosemount Women's Hospital, Glasgow": a town after a hospital's name and a comma,
 * ending the line */
static void phi_rule_town_after_hospital(PhiDoc *d) {
    for (int i = 2; i < d->n; i++) {
        if (!phi_punct(d, i - 1, ',') || !phi_free(d, i) || d->t[i].nl || !phi_word(d, i)) continue;
        if (!(d->type[i - 2] == PT_HOSPITAL || d->type[i - 2] == PT_ORGANIZATION || (d->t[i - 2].lex & LX_HOSPWORD))) continue;
        int e = i, w = 0;
        while (e < d->n && !d->t[e].nl && w < 3 && (phi_name_word(d, e) || (phi_punct(d, e, '-') && !d->t[e].sp))) { if (d->t[e].kind != TK_PUNCT) w++; e++; }
        if (!w || !(e >= d->n || d->t[e].nl || phi_punct(d, e, ',') || phi_punct(d, e, ')'))) continue;
        if (d->mixed && !phi_cap(&d->t[i])) continue;
        int dept = 0; /* "St Aldric's Hospital, Department of Cardiology": the hospital's department */
        for (int m = i; m < e && !dept; m++) dept = phi_cue(d, m, CUE_DEPARTMENT) || phi_is(d, m, "department") || phi_is(d, m, "dept");
        if (dept) continue;
        phi_mark(d, i, e - 1, PT_CITY, "rule:town-after-hospital", i - 2);
        i = e;
    }
}

/* "Oatlands Rise Cemetery", "Division Street bridge", "Wenlock Edge": a landmark's
 * capitalised name before a landmark word (mixed text) */
static void phi_rule_landmarks(PhiDoc *d) {
    if (!d->mixed) return;
    for (int h = 1; h < d->n; h++) {
        if (!phi_cue(d, h, CUE_LANDMARK)) continue;
        int k = h - 1, w = 0, proper = 0;
        while (k >= 0 && w < 3 && !d->t[k + 1].nl && phi_word(d, k) && phi_cap(&d->t[k]) && !phi_sentence_start(d, k + (w ? 0 : 0)) &&
               !(d->t[k].lex & (LX_STOP | LX_TITLE | LX_MONTH | LX_WEEKDAY))) {
            proper |= phi_unfamiliar(d, k) || (d->type[k] == PT_STREET);
            w++;
            k--;
        }
        if (w && k >= 0 && !d->t[k + 1].nl && phi_word(d, k) && phi_cap(&d->t[k]) && !(d->t[k].lex & LX_STOP) && phi_sentence_start(d, k)) {
            proper |= phi_unfamiliar(d, k);
            w++;
            k--;
        }
        if (!w || !proper) continue;
        int head_cap = phi_cap(&d->t[h]);
        phi_mark(d, k + 1, head_cap ? h : h - 1, PT_LOCATION, "rule:landmark", h);
        if (!head_cap) phi_mark(d, h, h, PT_LOCATION, "rule:landmark", h);
    }
}

/* ---- vehicles and country codes ---- */

/* UK number plates (YD19 KXR), and a plate after a vehicle cue: "car (ND 482-117)",
 * "VEHICLE: DCA 3312" */
static void phi_rule_vehicles(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        const PhiTok *t = &d->t[i], *u = &d->t[i + 1];
        const char *p = d->text + t->b0, *q = d->text + u->b0;
        if (t->kind == TK_ALNUM && t->b1 - t->b0 == 4 && isupper((unsigned char)p[0]) && isupper((unsigned char)p[1]) &&
            isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) && u->kind == TK_WORD && u->b1 - u->b0 == 3 &&
            u->shape == SH_UPPER && !u->nl && phi_free(d, i) && phi_free(d, i + 1)) {
            (void)q;
            phi_mark(d, i, i + 1, PT_VEHICLE, "rule:vehicle-plate", -1);
            continue;
        }
        if (!phi_cue(d, i, CUE_VEHICLE_CUE)) continue;
        int j = i + 1;
        if (phi_punct(d, j, '(') || phi_punct(d, j, ':') || phi_punct(d, j, '#')) j++;
        if (j >= d->n || d->t[j].nl || !phi_free(d, j)) continue;
        /* letters then a number group: a plate */
        if (phi_word(d, j) && d->t[j].shape == SH_UPPER && d->t[j].nalpha >= 2 && d->t[j].nalpha <= 4 && j + 1 < d->n && !d->t[j + 1].nl &&
            d->t[j + 1].ndig >= 2 && d->t[j + 1].kind != TK_PUNCT) {
            PhiChain c = phi_chain(d, j + 1);
            if (c.digits >= 3 && c.digits <= 8) phi_mark(d, j, c.last, PT_VEHICLE, "rule:vehicle-cue", i);
        }
    }
}

/* "in the US", "back to the UK": a country's code after a place preposition and "the" */
static void phi_rule_country_codes(PhiDoc *d) {
    for (int i = 2; i < d->n; i++) {
        if (!phi_cue(d, i, CUE_COUNTRY_CODE) || d->t[i].shape != SH_UPPER || !phi_free(d, i) || !phi_is(d, i - 1, "the")) continue;
        if (!phi_cue(d, i - 2, CUE_CITY_PREPOSITION) && !phi_is(d, i - 2, "to") && !(phi_lex(d, i - 2) & LX_MOVE)) continue;
        phi_mark(d, i, i, PT_COUNTRY, "rule:country-code", i - 2);
    }
}

/* ---- facilities and organisations named by their head noun ---- */

/* "Riverside General Hospital", "Lakeside Family Practice", "Brew & Bloom Café", "Halvern
 * Therapeutics Ltd": capitalised words before a facility's or an organisation's head noun
 * (data/phi_cues.txt: facility-head, org-head); in mixed text, where capitals say what a
 * name is. The head noun stays (as the deid gold standards mark it): the name is the PHI. A clinic named by its medicine (Heart Failure Clinic,
 * Memory Clinic) is a department, not a facility. */
static void phi_rule_facility_names(PhiDoc *d) {
    if (!d->mixed) return;
    for (int h = 1; h < d->n; h++) {
        int fac = phi_cue(d, h, CUE_FACILITY_HEAD) || (d->t[h].lex & LX_HOSPWORD);
        int org = !fac && phi_cue(d, h, CUE_ORG_HEAD);
        if ((!fac && !org) || !phi_word(d, h) || !phi_cap(&d->t[h])) continue;
        if (phi_cue(d, h - 1, CUE_FACILITY_HEAD) || phi_cue(d, h - 1, CUE_ORG_HEAD) || (d->t[h - 1].lex & LX_HOSPWORD)) continue; /* the first head of a run starts */
        int k = h - 1, words = 0, proper = 0, medical = 0;
        while (k >= 0 && words < 5 && !d->t[k + 1].nl) {
            const PhiTok *t = &d->t[k];
            if (t->kind == TK_PUNCT) {
                if ((t->ch == '&' || t->ch == '\'' || t->ch == '-' || (t->ch == '.' && phi_cue(d, k - 1, CUE_SAINT_ABBREV))) && words) { k--; continue; }
                break;
            }
            if (!phi_word(d, k)) break;
            int glue = (phi_is(d, k, "of") || phi_is(d, k, "and") || phi_is(d, k, "the")) && words && k > 0 && phi_word(d, k - 1) && phi_cap(&d->t[k - 1]);
            if (!glue && (!phi_cap(t) || (t->lex & (LX_STOP | LX_TITLE | LX_MONTH | LX_WEEKDAY)))) break;
            if (!glue && phi_sentence_start(d, k) && !phi_unfamiliar(d, k) && !(t->lex & (LX_CITY | LX_REGION))) {
                /* "The", "Our", "Seen at" ...: a capital that only starts the sentence */
                if (t->lex & LX_GENERIC) break;
            }
            if (!glue) {
                words++;
                proper |= phi_unfamiliar(d, k) || (t->lex & (LX_CITY | LX_REGION | LX_FIRST | LX_LAST | LX_SITE)) != 0;
                medical += (t->lex & (LX_EPONYM | LX_NUMCTX | LX_UNIT)) != 0 || phi_cue(d, k, CUE_DEPARTMENT);
            }
            if (t->nl) { k--; break; }
            k--;
        }
        int first = k + 1;
        while (first < h && (d->t[first].kind == TK_PUNCT || phi_is(d, first, "of") || phi_is(d, first, "and") || phi_is(d, first, "the"))) first++;
        if (first >= h) continue;
        /* a company's legal suffix among the heads (Water Services Ltd, Agro Exports Pvt.
           Ltd.) says the words before it are a name, familiar or not */
        int legal = 0;
        for (int m = h; m < d->n && m <= h + 4 && !legal && (m == h || !d->t[m].nl); m++) {
            if (phi_punct(d, m, '.')) continue;
            if (!phi_word(d, m) || !phi_cap(&d->t[m]) || !(phi_cue(d, m, CUE_FACILITY_HEAD) || phi_cue(d, m, CUE_ORG_HEAD))) break;
            legal = phi_cue(d, m, CUE_LEGAL_SUFFIX);
        }
        if (legal) proper = 1;
        if (words - medical <= 0 && !proper) continue; /* Cardiology Clinic, Memory Clinic */
        /* heads that also name a department (General Surgery, Internal Medicine) need a proper name */
        if ((phi_cue(d, h, CUE_HOSPITAL_WORD_DEPARTMENT) || phi_cue(d, h, CUE_FACILITY_HEAD_WEAK)) && !proper) continue;
        /* a two-word head ("Family Medicine", "Health Centre"): its first word is no name */
        int name_end = h - 1;
        for (int m = first; m < h; m++)
            if (phi_phrase(d, m, CUE_PRACTICE_HEAD) == h - m + 1) { name_end = m - 1; break; }
        if (name_end < first) continue;
        /* further heads: "Medical Centre", "Hospital NHS Foundation Trust", "Pty Ltd" */
        int last = h;
        while (last + 1 < d->n && !d->t[last + 1].nl && phi_word(d, last + 1) && phi_cap(&d->t[last + 1]) &&
               (phi_cue(d, last + 1, CUE_FACILITY_HEAD) || phi_cue(d, last + 1, CUE_ORG_HEAD) || (d->t[last + 1].lex & LX_HOSPWORD)))
            last++;
        int any = 0;
        for (int m = first; m <= name_end; m++) any |= phi_free(d, m) && d->t[m].kind != TK_PUNCT;
        if (!any) continue;
        /* the heads with the name: no later rule may take them for something else
           (a place after "taken at") */
        phi_mark(d, first, last, org ? PT_ORGANIZATION : PT_HOSPITAL, "rule:facility-name", h);
        for (int m = first; m <= name_end; m++) if (phi_unfamiliar(d, m)) d->t[m].ctx_name = 1;
        h = last;
    }
}

/* A facility's head nouns are part of its name: annotators (and re-identifiers) read
 * "Mercy Ridge Medical Center", not "Mercy Ridge". After the name rules have run, the
 * head words right after a facility or organisation name join it: hospital words,
 * facility and organisation heads, the words of a two-word practice head (Family
 * Practice), and "NHS Foundation Trust"-like runs of them; capitalised in mixed text. */
static int phi_facility_head_word(const PhiDoc *d, int k) {
    if (!phi_word(d, k) || (d->mixed && !phi_cap(&d->t[k]))) return 0;
    return (d->t[k].lex & LX_HOSPWORD) || phi_cue(d, k, CUE_FACILITY_HEAD) || phi_cue(d, k, CUE_ORG_HEAD) ||
           phi_cue(d, k, CUE_FACILITY_HEAD_WEAK) || phi_phrase(d, k, CUE_PRACTICE_HEAD) >= 2;
}
/* the last head word of the run of head words right after token i (i when none) */
static int phi_facility_heads_end(const PhiDoc *d, int i) {
    int k = i + 1, last = i;
    while (k < d->n && !d->t[k].nl && k <= i + 5) {
        if (phi_free(d, k) && phi_facility_head_word(d, k)) {
            int pe = phi_phrase(d, k, CUE_PRACTICE_HEAD);
            last = pe >= 2 ? k + pe - 1 : k;
            k = last + 1;
        } else if ((phi_punct(d, k, '&') || (phi_punct(d, k, '.') && !d->t[k].sp)) && phi_free(d, k) && k + 1 < d->n &&
                   !d->t[k + 1].nl && phi_free(d, k + 1) && phi_facility_head_word(d, k + 1)) k++; /* & Sons; Pvt. Ltd */
        else break;
    }
    return last;
}
static void phi_rule_facility_heads(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        int type = d->type[i];
        if (type != PT_HOSPITAL && type != PT_ORGANIZATION) continue;
        if (d->type[i + 1] == type || d->t[i + 1].nl) continue; /* the name's last token */
        int last = phi_facility_heads_end(d, i);
        if (last > i) phi_mark(d, i + 1, last, type, "rule:facility-head", i);
        i = last;
    }
}

/* After the fail-closed layer: a name some other rule (or the fail-closed layer) masked
 * as a person or a place, right before a facility's unambiguous head (a hospital word,
 * a facility or organisation head that names no department: "GP: Polden Hills Medical
 * Centre", "Harwick Infirmary"), is that facility's name: the heads join it and the whole
 * becomes a HOSPITAL (ORGANIZATION before an organisation's head). */
static void phi_heads_after_names(PhiDoc *d) {
    if (!d->mixed) return;
    for (int i = 0; i + 1 < d->n; i++) {
        int type = d->type[i];
        if (!(phi_is_name_type(type) || type == PT_LOCATION || type == PT_CITY || type == PT_OTHER)) continue;
        int h = i + 1;
        if (d->type[h] || d->t[h].nl || !phi_word(d, h) || !phi_cap(&d->t[h])) continue;
        /* a two-word head (Medical Centre, Family Practice), else one that names no department */
        int strong = phi_phrase(d, h, CUE_PRACTICE_HEAD) >= 2 ||
                     (((d->t[h].lex & LX_HOSPWORD) || phi_cue(d, h, CUE_FACILITY_HEAD) || phi_cue(d, h, CUE_ORG_HEAD)) &&
                      !phi_cue(d, h, CUE_FACILITY_HEAD_WEAK) && !phi_cue(d, h, CUE_HOSPITAL_WORD_DEPARTMENT));
        if (!strong) continue;
        int last = phi_facility_heads_end(d, i);
        if (last <= i) continue;
        int facility = (d->t[h].lex & LX_HOSPWORD) || phi_cue(d, h, CUE_FACILITY_HEAD) || phi_phrase(d, h, CUE_PRACTICE_HEAD) >= 2;
        int to = facility ? PT_HOSPITAL : PT_ORGANIZATION;
        for (int k = i; k >= 0 && d->type[k] == type; k--) { /* the name before the heads, on its line */
            d->type[k] = (uint8_t)to;
            if (d->t[k].nl) break;
        }
        phi_mark(d, h, last, to, "rule:facility-head", i);
        i = last;
    }
}

/* ---- countries, military addresses, times of dates, numbers to call ---- */

/* a country by name, capitalised, after a place word, in mixed text (born in Guatemala) */
static void phi_rule_countries(PhiDoc *d) {
    if (!d->mixed) return;
    for (int i = 0; i < d->n; i++) {
        if (!phi_word(d, i) || !phi_free(d, i) || d->t[i].shape != SH_TITLE) continue;
        int e = phi_place_at(d, i, LX_COUNTRY);
        if (e < i) continue;
        /* a country's adjective use or a named thing (Turkey sandwich, Chad, Jordan...) is
         * the name rules' to decide first; a listed first name needs a place word before */
        /* after a place word, a movement word or a comma (travelled to Nigeria, born in
         * Guatemala, Leeds, England); a textbook's "France and Brazil" is not the patient's */
        int p = i - 1;
        if (phi_is(d, p, "the")) p--;
        if (!(phi_cue(d, p, CUE_CITY_PREPOSITION) || phi_cue(d, p, CUE_REGION_CUE) || (phi_lex(d, p) & LX_MOVE) || phi_punct(d, i - 1, ','))) continue;
        if (e + 1 < d->n && !d->t[e + 1].nl && phi_cue(d, e + 1, CUE_EPONYM_HEAD)) continue; /* West Nile virus */
        phi_mark(d, i, e, PT_COUNTRY, "rule:country", -1);
        i = e;
    }
}

/* a part of the line before a military post: "PSC 0413, Box 8144", "Unit 4719 Box 7394" */
static int phi_military_part(const PhiDoc *d, int k) {
    return phi_punct(d, k, ',') || phi_num(d, k) ||
           (phi_word(d, k) && (d->t[k].shape == SH_UPPER || phi_is(d, k, "box") || phi_cue(d, k, CUE_UNIT_WORD)));
}

/* a country that fills its line, or is followed only by a postcode: the last line of an
 * address ("Finland 80896", "United Kingdom") */
static void phi_rule_country_lines(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        int q = i; /* a quoted e-mail's "> " before it */
        while (q > 0 && !d->t[q].nl && phi_punct(d, q - 1, '>')) q--;
        if (!(q == 0 || d->t[q].nl) || !phi_word(d, i) || !phi_free(d, i) || d->t[i].shape == SH_LOWER) continue;
        int e = phi_place_at(d, i, LX_COUNTRY);
        if (e < i) continue;
        int k = e + 1, zip = -1;
        if (k < d->n && !d->t[k].nl && phi_num(d, k) && d->t[k].ndig >= 4 && d->t[k].ndig <= 6) zip = k++;
        if (k < d->n && !d->t[k].nl && (phi_punct(d, k, '.') || phi_punct(d, k, '?') || phi_punct(d, k, ','))) k++;
        if (k < d->n && !d->t[k].nl) continue;
        phi_mark(d, i, e, PT_COUNTRY, "rule:country-line", -1);
        if (zip >= 0 && phi_free(d, zip)) phi_mark(d, zip, zip, PT_ZIP, "rule:country-line", i);
        i = e;
    }
}

/* US military addresses: "PSC 0413, Box 8144, APO AA 42323" */
static void phi_rule_military_address(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        if (!phi_cue(d, i, CUE_MILITARY_POST) || d->t[i].shape != SH_UPPER || !phi_cue(d, i + 1, CUE_MILITARY_CODE) ||
            d->t[i + 1].shape != SH_UPPER || !phi_num(d, i + 2) || d->t[i + 2].ndig != 5) continue;
        phi_mark(d, i, i + 1, PT_CITY, "rule:military-address", -1);
        phi_mark(d, i + 2, i + 2, PT_ZIP, "rule:military-address", -1);
        /* "PSC 0413, Box 8144," before it on the line */
        int k = i - 1;
        while (k >= 1 && !d->t[k + 1].nl && phi_military_part(d, k)) k--;
        int a = k + 1;
        /* or the end of the line before it, from a word, with a number: "... at PSC 0413,
         * Box 8144\nAPO AA 42323" */
        if (a == i && d->t[i].nl) {
            int q = i - 1, nums = 0, start = i;
            while (q >= 0 && phi_military_part(d, q)) {
                nums += phi_num(d, q);
                if (phi_word(d, q)) start = q;
                if (d->t[q].nl) break;
                q--;
            }
            if (start < i && nums) a = start;
        }
        if (a < i) phi_mark(d, a, i - 1, PT_STREET, "rule:military-address", -1);
    }
}

/* a number to call: "call me at 0494 92 82 32", "text him on 699 956 915" */
static void phi_rule_call_numbers(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        if (!phi_cue(d, i, CUE_CALL_VERB)) continue;
        int j = i + 1;
        while (j < d->n && j <= i + 3 && !d->t[j].nl && (phi_cue(d, j, CUE_CALL_FILLER) || phi_punct(d, j, ':'))) j++;
        int open = phi_punct(d, j, '(') && j + 1 < d->n && phi_tight(d, j + 1); /* (64) 3591-3246 */
        if (open) j++;
        if (j >= d->n || !phi_num(d, j) || !phi_free(d, j)) continue;
        int k = j, digits = 0, e = j, groups = 0;
        while (k < d->n && !d->t[k].nl && (phi_num(d, k) || ((phi_punct(d, k, '-') || phi_punct(d, k, '.') || phi_punct(d, k, '(') || phi_punct(d, k, ')')) && k + 1 < d->n && phi_num(d, k + 1)))) {
            if (phi_num(d, k)) { digits += d->t[k].ndig; e = k; groups++; }
            k++;
        }
        /* a local number (555 0199) has 7 digits in a 3 + 4 shape */
        int local = groups == 2 && digits == 7 && d->t[j].ndig == 3;
        if ((digits >= 8 && digits <= 13) || local) phi_mark(d, open ? j - 1 : j, e, PT_PHONE, "rule:call-number", i);
    }
}

/* ---- labelled fields: data/phi_labels.txt ---- */

/* whitespace before token k that separates fields: a tab, or 2+ spaces */
static int phi_gap_before(const PhiDoc *d, int k) {
    if (k <= 0 || k >= d->n || !d->t[k].sp || d->t[k].nl) return 0;
    int spaces = 0;
    for (int b = d->t[k - 1].b1; b < d->t[k].b0; b++) {
        if (d->text[b] == '\t') return 1;
        spaces += d->text[b] == ' ';
    }
    return spaces >= 2;
}

/* The longest label that starts at token i: its index in r->label, its last token in
 * *end; -1 when none. Between its words only a space or one tight '.', '-' or '/'. */
static int phi_label_at(const PhiDoc *d, int i, int *end) {
    if (!phi_cue(d, i, CUE_LABEL_START)) return -1;
    const PhiCueWord *c = &d->r->cue[d->t[i].cue];
    for (int k = c->label0; k < c->label0 + c->nlabel; k++) { /* longest first */
        const PhiLabel *lab = &d->r->label[k];
        int t = i, m = 1;
        for (; m < lab->n; m++) {
            int nx = t + 1;
            if (nx < d->n && d->t[nx].kind == TK_PUNCT && !d->t[nx].sp && (d->t[nx].ch == '.' || d->t[nx].ch == '-' || d->t[nx].ch == '/')) nx++;
            if (nx >= d->n || d->t[nx].nl || d->t[nx].kind == TK_PUNCT || d->t[nx].b1 - d->t[nx].b0 != lab->len[m] || !phi_is(d, nx, lab->w[m])) break;
            t = nx;
        }
        if (m == lab->n) { *end = t; return k; }
    }
    return -1;
}

/* The digits of the code that starts at token k: numbers and letter-digit tokens joined by
 * a tight '-' '/' '.' or single spaces, on one line (8003 6081 2345, CM2-0448173,
 * 2009/04/1733); 0 when token k holds no digit. */
static int phi_code_digits(const PhiDoc *d, int k) {
    int digits = 0, j = k;
    while (j < d->n && (j == k || !d->t[j].nl) && d->t[j].ndig > 0 && d->t[j].kind != TK_PUNCT) {
        digits += d->t[j].ndig;
        if (j + 2 < d->n && d->t[j + 1].kind == TK_PUNCT && strchr("-/.", d->t[j + 1].ch) && !d->t[j + 1].sp && !d->t[j + 2].sp &&
            d->t[j + 2].ndig > 0 && d->t[j + 2].kind != TK_PUNCT) j += 2;
        else if (j + 1 < d->n && phi_num(d, j + 1) && !d->t[j + 1].nl && d->t[j + 1].sp && d->t[j + 1].b0 == d->t[j].b1 + 1) j++;
        else break;
    }
    return digits;
}
/* After a label ending at token e: where its value starts (after ':' '#' '=' ' - ' or
 * a field gap), or -1. *next_line: the value is on the line below ("Address:" alone). */
static int phi_label_value_start(const PhiDoc *d, int first, int e, const PhiLabel *lab, int *next_line) {
    int k = e + 1;
    *next_line = 0;
    if (phi_punct(d, k, '.') && !d->t[k].sp) k++;
    /* "Aadhaar No.:", "Hospice number:": an identifier word after the label */
    if (k < d->n && !d->t[k].nl && phi_cue(d, k, CUE_ID_SUFFIX)) { k++; if (phi_punct(d, k, '.') && !d->t[k].sp) k++; }
    if (phi_punct(d, k, '(') && phi_word(d, k + 1) && phi_punct(d, k + 2, ')')) k += 3; /* Name(s): */
    if (k >= d->n) return -1;
    int sep = 0;
    if (!d->t[k].nl && d->t[k].kind == TK_PUNCT && (d->t[k].ch == ':' || d->t[k].ch == '#' || d->t[k].ch == '=')) sep = 1;
    else if (!d->t[k].nl && phi_punct(d, k, '-') && d->t[k].sp && k + 1 < d->n && d->t[k + 1].sp) sep = 1;
    if (sep) {
        k++;
        while (k < d->n && !d->t[k].nl && d->t[k].kind == TK_PUNCT && (d->t[k].ch == ':' || d->t[k].ch == '#' || d->t[k].ch == '-')) k++;
        if (k < d->n && d->t[k].nl) {
            /* the value on the next line, when the label stands alone on its line */
            if (!(d->t[first].nl || first == 0)) return -1;
            *next_line = 1;
        }
        return k < d->n ? k : -1;
    }
    if (k < d->n && !d->t[k].nl && phi_gap_before(d, k) && (d->t[first].nl || first == 0 || phi_gap_before(d, first)) && !lab->weak) return k;
    /* an identifier right after its label: "MRN 1234567", "NHS no 943 476 5919" */
    int id = lab->type == PT_MRN || lab->type == PT_NHS || lab->type == PT_SSN || lab->type == PT_HEALTHPLAN ||
             lab->type == PT_ACCOUNT || lab->type == PT_LICENSE || lab->type == PT_DEVICE || lab->type == PT_VEHICLE || lab->type == PT_ID;
    if (id && !lab->weak && k < d->n && !d->t[k].nl && d->t[k].ndig > 0 && d->t[k].kind != TK_PUNCT) return k;
    if (!id || k >= d->n || d->t[k].nl) return -1;
    /* a code's capital prefix before its digits: "Policy WMK 771 204 559", "Reg. No. MMC
     * 2009/04/1733" */
    int prefix = phi_word(d, k) && d->t[k].shape == SH_UPPER && d->t[k].nalpha >= 2 && d->t[k].nalpha <= 4 &&
                 k + 1 < d->n && !d->t[k + 1].nl && d->t[k + 1].ndig > 0 && d->t[k + 1].kind != TK_PUNCT;
    /* after a weak label (IHI, CHI, RAMQ, serial, policy) a value too long for a clinical
     * one: 8+ digits in groups joined by single spaces or '-' ("IHI 8003 6081 2345 6789"),
     * or 5+ in a code that mixes letters and digits (CM2-0448173) */
    int digits = phi_code_digits(d, prefix ? k + 1 : k);
    if (!lab->weak && prefix && digits >= 4) return k;
    if (lab->weak && (digits >= 8 || (digits >= 5 && (prefix || d->t[k].kind == TK_ALNUM)))) return k;
    return -1;
}

enum { LV_ID, LV_NAME, LV_PLACE, LV_DATE, LV_PHONE, LV_TIGHT };
static int phi_label_group(int type) {
    switch (type) {
    case PT_PATIENT: case PT_DOCTOR: case PT_RELATIVE: case PT_NAME: return LV_NAME;
    case PT_DATE: return LV_DATE;
    case PT_PHONE: case PT_FAX: return LV_PHONE;
    case PT_USERNAME: case PT_EMAIL: case PT_URL: case PT_IP: return LV_TIGHT;
    case PT_STREET: case PT_CITY: case PT_COUNTY: case PT_STATE: case PT_ZIP: case PT_COUNTRY: case PT_LOCATION:
    case PT_HOSPITAL: case PT_ORGANIZATION: case PT_WARD: case PT_PROFESSION: return LV_PLACE;
    default: return LV_ID;
    }
}

/* A register's number after its body's acronym: "SWRB NO. 9174", "KMPDC No 44817". An
 * acronym of 2-6 capitals that no vocabulary knows, then No/Number (the id-suffix
 * words), then a number of 4+ digits or a code: the number is an identifier, whatever the
 * register. The acronym is kept. */
static void phi_acronym_numbers(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_word(d, i) || t->shape != SH_UPPER || t->nalpha < 2 || t->nalpha > 6 || (t->lex & (LX_KNOWN | LX_UNIT))) continue;
        int k = i + 1;
        if (d->t[k].nl || !phi_cue(d, k, CUE_ID_SUFFIX) || phi_is(d, k, "ref")) continue;
        k++;
        if (phi_punct(d, k, '.') && phi_tight(d, k)) k++;
        if (phi_punct(d, k, ':') || phi_punct(d, k, '#')) k++;
        if (k >= d->n || d->t[k].nl || !phi_free(d, k) || phi_code_digits(d, k) < 4) continue;
        int last = k;
        while (last + 2 < d->n && d->t[last + 1].kind == TK_PUNCT && strchr("-/.", d->t[last + 1].ch) && !d->t[last + 1].sp &&
               !d->t[last + 2].sp && d->t[last + 2].ndig > 0 && d->t[last + 2].kind != TK_PUNCT) last += 2;
        phi_mark(d, k, last, PT_ID, "rule:register-number", i);
        i = last;
    }
}

static void phi_rule_labels(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        int e;
        int li = phi_label_at(d, i, &e);
        if (li < 0 || !phi_free(d, i)) continue;
        const PhiLabel *lab = &d->r->label[li];
        int next_line;
        int v = phi_label_value_start(d, i, e, lab, &next_line);
        if (v < 0) continue;
        /* a label begins a field: a line, or after a gap, a value, or punctuation; after an
         * ordinary word ("in the hospital - would like") only with ':' or '#' */
        int group = phi_label_group(lab->type);
        if (i > 0 && !d->t[i].nl && !phi_gap_before(d, i) && d->t[i - 1].kind == TK_WORD && d->type[i - 1] == PT_NONE &&
            !(phi_punct(d, e + 1, ':') || phi_punct(d, e + 1, '#')) &&
            !(group == LV_ID && (d->t[v].ndig > 0 || phi_code_digits(d, v + 1) > 0))) continue;
        int k = v, last = -1, tokens = 0, digits = 0, months = 0, unfamiliar = 0, capital = 0, commas = 0;
        if (group == LV_NAME) /* titles are kept: "Name: Mrs J. Smith" */
            while (k < d->n && !d->t[k].nl && (d->t[k].lex & LX_TITLE) && phi_word(d, k)) { k++; if (phi_punct(d, k, '.')) k++; }
        v = k;
        for (; k < d->n && tokens < 12; k++) {
            const PhiTok *t = &d->t[k];
            if (k > v && t->nl) break;
            if (k > v && phi_gap_before(d, k) && !next_line) break;
            if (t->kind == TK_PUNCT && (t->ch == ';' || t->ch == '|')) break;
            int le;
            if (k > v && phi_label_at(d, k, &le) >= 0) { /* the next field's label */
                int nl2;
                if (phi_label_value_start(d, k, le, &d->r->label[phi_label_at(d, k, &le)], &nl2) >= 0) break;
            }
            if (group == LV_TIGHT) {
                if (k > v && t->sp) break;
                if (t->kind == TK_PUNCT && strchr(",;)(]>\"", t->ch ? t->ch : ' ')) break;
            } else if (group == LV_ID) {
                if (t->kind == TK_PUNCT && (t->ch == ',' || t->ch == '(' || t->ch == ')')) break;
                if (t->kind == TK_PUNCT && t->ch == '.' && k + 1 < d->n && d->t[k + 1].sp) break; /* a sentence ends */
                if (t->kind == TK_WORD && (t->lex & LX_STOP) && t->shape != SH_UPPER) break;
                if (t->kind == TK_WORD && tokens && !phi_unfamiliar(d, k) && t->shape != SH_UPPER) break;
            } else if (group == LV_NAME) {
                if (t->kind == TK_PUNCT && t->ch == ',') {
                    /* "Smith, John": one comma between the surname and the forenames */
                    if (commas || !tokens || lab->type == PT_DOCTOR || !phi_namelike(d, k + 1, 1)) break;
                    commas++;
                    continue;
                }
                if (t->kind == TK_PUNCT && t->ch == '"' && phi_namelike(d, k + 1, 1) && (phi_punct(d, k + 2, '"') || phi_punct(d, k - 2, '"'))) { last = k; continue; } /* Beauregard "Bo" Tillman */
                if (t->kind == TK_PUNCT && !(t->ch == '.' || t->ch == '-' || t->ch == '\'')) break;
                if (t->kind == TK_WORD && ((t->lex & (LX_CRED | LX_STOP | LX_RELATION)) && !(t->lex & (LX_FIRST | LX_LAST)) ? 1 : 0) && tokens) break;
                if (t->kind == TK_WORD && !phi_initial(d, k) && !phi_namelike(d, k, 1)) break;
                if (t->kind == TK_NUM) break;
            } else if (group == LV_DATE) {
                if (t->kind == TK_WORD && !(t->lex & (LX_MONTH | LX_WEEKDAY)) && !phi_is(d, k, "of")) break;
                if (t->kind == TK_ALNUM && !phi_day_token(d, k)) break; /* 3rd, not Cabgx4 */
            } else if (group == LV_PHONE) {
                if (t->kind == TK_WORD && !phi_cue(d, k, CUE_PHONE_EXT)) break;
                if (t->kind == TK_PUNCT && !strchr("()+-./", t->ch ? t->ch : ' ')) break;
            } else { /* a place, a facility, an employer, an occupation */
                if (t->kind == TK_PUNCT && (t->ch == '(' || t->ch == ')')) break;
                if (lab->type == PT_PROFESSION && tokens >= 5) break;
            }
            if (t->kind != TK_PUNCT) {
                tokens++;
                digits += t->ndig;
                months += (t->lex & LX_MONTH) != 0;
                if (t->kind == TK_WORD && phi_unfamiliar(d, k)) unfamiliar++;
                if (t->kind == TK_WORD && t->shape != SH_LOWER) capital++;
            }
            last = k;
        }
        if (last < 0 || !tokens) continue;
        while (last > v && d->t[last].kind == TK_PUNCT && d->t[last].ch != ')') last--; /* "Smith." */
        /* is it a value of its kind? */
        int ok;
        switch (group) {
        case LV_ID: ok = digits > 0 || unfamiliar > 0 || (capital > 0 && d->t[v].b1 - d->t[v].b0 >= 4); break;
        case LV_DATE: ok = digits > 0 || months > 0; break;
        case LV_PHONE: ok = digits >= 6; break;
        case LV_NAME: ok = 1; break;
        case LV_TIGHT: ok = 1; break;
        default: ok = !d->mixed || capital > 0 || digits > 0 || unfamiliar > 0; break;
        }
        if (lab->weak && !(digits > 0 || unfamiliar > 0 || months > 0)) ok = 0;
        if (!ok) continue;
        phi_mark(d, v, last, lab->type, "rule:labelled-field", i);
        for (int m = i; m <= e; m++) if (phi_free(d, m)) d->type[m] = PT_LABEL;
        i = last;
    }
    phi_acronym_numbers(d);
}

static int phi_month_day(int m, int dd) { return m >= 1 && m <= 12 && dd >= 1 && dd <= 31; }

/* Digit groups from token i: NUM separated by one of "-. " or "(...)", same line.
 * Fills g[] with token indexes and returns the count (<= 6). seps: bit 1 '-', 2 '.',
 * 4 space, 8 parens, 16 '/'. */
/* the leading digits of a last group with its extension written tight: "4508x769" */
static int phi_ext_digits(const PhiDoc *d, int j) {
    const PhiTok *t = &d->t[j];
    if (t->kind != TK_ALNUM) return 0;
    const char *p = d->text + t->b0, *end = d->text + t->b1;
    int lead = 0, tail = 0;
    while (p < end && isdigit((unsigned char)*p)) { p++; lead++; }
    if (p >= end || (*p != 'x' && *p != 'X')) return 0;
    for (p++; p < end && isdigit((unsigned char)*p); p++) tail++;
    return p == end && lead >= 3 && tail >= 1 && tail <= 5 ? lead : 0;
}
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
        if (t->kind == TK_PUNCT && (t->ch == '-' || t->ch == '.' || t->ch == ')') && j + 1 < d->n && !d->t[j + 1].nl &&
            (t->ch == ')' || (!t->sp && !d->t[j + 1].sp)) && phi_ext_digits(d, j + 1)) {
            *seps |= t->ch == '-' ? 1 : t->ch == '.' ? 2 : 8;
            g[n++] = j + 1; /* the last group: its extension ends the number */
            break;
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
        if (t->kind == TK_WORD && (phi_cue(d, k, CUE_ID_FILLER))) continue;
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
        for (int k = 0; k < n; k++) dg[k] = d->t[g[k]].kind == TK_ALNUM ? phi_ext_digits(d, g[k]) : d->t[g[k]].ndig;
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
                else if (lead0 && seps == 4 && sum >= 9 && sum <= 11 && m >= 4 && m <= 5 && a >= 3 && a <= 4 && b == 3 && c >= 2 && e >= 2)
                    last = g[m - 1]; /* spaced European groups: 0680 298 70 63, 024 971 50 30 */
                else if (lead0 && !(seps & 2) && sum == 9 && m == 3 && a == 2) last = g[2]; /* 09-489 5517 */
                else if (m == 3 && a == 4 && b == 3 && c == 3 && !(seps & 2) && (d->t[i].val == 1300 || d->t[i].val == 1800))
                    last = g[2]; /* Australian national numbers: 1300 555 014, 1800 123 456 */
            }
            if (last < 0 && n == 1 && lead0 && dg[0] == 11 && !phi_punct(d, i + 1, '.')) last = i;
            if (last < 0 && paren && n >= 2 && !(seps & 2)) {
                int sum = 0;
                for (int k = 0; k < n; k++) sum += dg[k];
                if ((sum == 10 || sum == 11) && phi_punct(d, g[n - 1] + 1, ')')) last = g[n - 1];
            }
        }
        if (last < 0 && plus) { /* +44 (0)20 7946 0382, +91 22 2741 0000: international */
            int k = i, digits = 0, end = -1;
            while (k < d->n && !d->t[k].nl) {
                if (phi_num(d, k)) { digits += d->t[k].ndig; end = k; k++; }
                else if (phi_punct(d, k, '(') && phi_num(d, k + 1) && d->t[k + 1].ndig == 1 && phi_punct(d, k + 2, ')')) { end = k + 2; k += 3; }
                else if ((phi_punct(d, k, '-') || phi_punct(d, k, '.')) && !d->t[k].sp && phi_num(d, k + 1) && !d->t[k + 1].sp) k++;
                else break;
                if (k < d->n && phi_num(d, k) && !d->t[k].sp && d->t[k - 1].kind != TK_PUNCT) break;
                if (k < d->n && d->t[k].kind == TK_PUNCT && !strchr("(-.", d->t[k].ch ? d->t[k].ch : ' ')) break;
            }
            if (digits >= 9 && digits <= 15 && end >= i) last = end;
        }
        if (last >= 0) {
            if (plus) first = i - 1;
            if (paren) first = i - 1;
            /* an extension after the number: "ext. 210", "x 214", "extn 4471" */
            int x = last + 1;
            if (x < d->n && !d->t[x].nl && phi_cue(d, x, CUE_PHONE_EXT)) {
                int y = x + 1;
                if (phi_punct(d, y, '.')) y++;
                if (y < d->n && !d->t[y].nl && phi_num(d, y) && d->t[y].ndig <= 5) last = y;
            }
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
            if (t->kind == TK_WORD && (phi_cue(d, k, CUE_ID_FILLER_WIDE) || ((lx & LX_PHONECTX) && phi_is(d, k, "at")))) { k++; skipped++; continue; }
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
            if (phi_cue(d, i, CUE_RECORD_WORD) && (phi_cue(d, i - 1, CUE_RECORD_KIND))) type = PT_MRN;
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
/* The order of the document's numeric dates, from its full dates whose first or second
 * part is over 12 (31/12/2024 day first; 12/31/2024 month first). */
static void phi_date_order(PhiDoc *d) {
    int day_first = 0, month_first = 0;
    for (int i = 0; i + 4 < d->n; i++) {
        if (!phi_num(d, i) || d->t[i].ndig > 2 || !phi_punct(d, i + 1, d->t[i + 1].ch) || d->t[i + 1].kind != TK_PUNCT) continue;
        char sep = (char)d->t[i + 1].ch;
        if ((sep != '/' && sep != '.' && sep != '-') || !phi_num(d, i + 2) || d->t[i + 2].ndig > 2 || !phi_punct(d, i + 3, sep) ||
            !phi_num(d, i + 4) || (d->t[i + 4].ndig != 2 && d->t[i + 4].ndig != 4) || !phi_tight(d, i + 1) || !phi_tight(d, i + 2) ||
            !phi_tight(d, i + 3) || !phi_tight(d, i + 4)) continue;
        int a = d->t[i].val, b = d->t[i + 2].val;
        if (a > 12 && a <= 31 && b >= 1 && b <= 12) day_first++;
        if (b > 12 && b <= 31 && a >= 1 && a <= 12) month_first++;
    }
    d->dmy = day_first > month_first ? 1 : month_first > day_first ? -1 : 0;
}

static void phi_rule_numeric_dates(PhiDoc *d) {
    phi_date_order(d);
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
                    (sep != '.' || nc == 4 || (na == 2 && nb == 2 && nc == 2) || phi_ctx_before(d, i, LX_DATECTX, 2) >= 0))
                    last = b + 2; /* 12.03.24: three two-digit parts; 9.1.24 after a date word (on 9.1.24) */
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
                if (bv == 10 && a <= 10 && (phi_cue(d, k, CUE_PAIN_SCORE_WORD)))
                    numctx = pain = 1;
            }
            if (pain) ctx = -1;
            for (int k = b + 1; k < d->n && k <= b + 2 && !d->t[k].nl; k++)
                if (bv == 10 && a <= 10 && (phi_cue(d, k, CUE_PAIN_WORD))) { numctx = 1; ctx = -1; }
            if (phi_punct(d, b + 1, '/') && phi_tight(d, b + 1)) numctx = 1, ctx = -1; /* 10/5/.30 */
            if (bv == 6 || bv == 4) /* "2/6 ejection systolic murmur", "3/4 holosystolic" */
                for (int k = b + 1; k < d->n && k <= b + 4 && !d->t[k].nl; k++)
                    if (phi_cue(d, k, CUE_MURMUR_WORD)) { numctx = 1; ctx = -1; }
            if (phi_punct(d, i - 1, '\'') && phi_tight(d, i)) numctx = 1, ctx = -1;  /* 120-140'2/70's */
            if (phi_punct(d, i - 1, '-') && phi_tight(d, i) && phi_num(d, i - 2)) numctx = 1; /* 4-6/2-4 */
            if (phi_punct(d, i - 1, '-') && phi_tight(d, i) && i >= 2 && d->type[i - 2] == PT_DATE) { numctx = 0; ctx = i - 2; } /* 2/20-2/21 */
            int unit_after = b + 1 < d->n && !d->t[b + 1].nl && ((d->t[b + 1].lex & LX_UNIT) ||
                             phi_punct(d, b + 1, '+') || phi_punct(d, b + 1, '%') || phi_punct(d, b + 1, 'x') ||
                             phi_cue(d, b + 1, CUE_RATIO_WORD));
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
                /* day/month (27/11, 19/07): where the document writes the day first, or the
                 * day cannot be a month; not a UK duration (3/7 days, 2/52 weeks, 18/12 months) */
                int duration = (bv == 7 && nb == 1) || bv == 52 || (bv == 12 && a <= 24);
                int dm = na <= 2 && nb <= 2 && phi_month_day(bv, a) && !duration && d->dmy >= 0 &&
                         (a > 12 || d->dmy > 0 || (nb == 2 && d->text[d->t[b].b0] == '0'));
                if (dm && d->dmy < 0) dm = 0;
                if (d->dmy > 0 && md && !dm) md = 0; /* 3/7 in a day-first letter is a duration */
                if (bv == 52 || (duration && d->dmy > 0)) my = 0;   /* 2/52: two weeks, not February 1952 */
                /* "review in 3/7", "for 6/12": a duration after its cue, whatever the order */
                if ((bv == 7 || bv == 12 || bv == 52) && a <= 2 * bv && i > 0 && !d->t[i].nl &&
                    (phi_cue(d, i - 1, CUE_DURATION_CUE) || (phi_punct(d, i - 1, '-') && phi_cue(d, i - 2, CUE_DURATION_CUE)))) md = my = dm = 0;
                if ((md || my || dm) && (ctx >= 0 || (!numctx && !unit_after && !fraction))) { last = b; src = ctx >= 0 ? "rule:date-after-context" : "rule:date-numeric"; }
            } else if (sep == '-' && ctx >= 0 && na <= 2 && nb <= 2 && phi_month_day(a, bv) && !unit_after &&
                       !(b + 1 < d->n && !d->t[b + 1].nl && phi_word(d, b + 1) && (d->t[b + 1].lex & LX_COMMON) && !(d->t[b + 1].lex & LX_STOP))) {
                last = b; src = "rule:date-after-context";
            } else if (sep == '-' && na == 4 && a >= 1900 && a <= 2100 && nb == 2 && bv >= 1 && bv <= 12 && !unit_after) {
                /* an ISO year and month (Exp.: 2026-04); as a range of years (2010-11) its
                 * year is masked anyway */
                last = b; src = "rule:date-numeric";
            }
        }
        if (last < 0) continue;
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
            if (n > 10 || !phi_cue_text(d->r, d->text + t->b0, n, CUE_DATE_WORD_GLUED)) continue;
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
static int phi_year_token(const PhiDoc *d, int i) {
    return phi_num(d, i) && ((d->t[i].ndig == 4 && d->t[i].val >= 1800 && d->t[i].val <= 2100));
}

static void phi_rule_written_dates(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        uint64_t lx = d->t[i].lex;
        if (!phi_word(d, i) || !phi_free(d, i)) continue;
        if (lx & LX_MONTH) {
            int m = d->t[i].e ? d->t[i].e->aux_month : 0;
            int ambiguous = m >= 100 || phi_cue(d, i, CUE_MONTH_AMBIGUOUS);
            /* 13-Apr-2019, 13-Apr-19, Apr-2019 */
            int hy_b = phi_punct(d, i - 1, '-') && phi_tight(d, i) && phi_tight(d, i - 1) && phi_day_token(d, i - 2);
            int hy_a = phi_punct(d, i + 1, '-') && phi_tight(d, i + 1) && phi_tight(d, i + 2) && phi_num(d, i + 2) &&
                       (phi_year_token(d, i + 2) || (hy_b && d->t[i + 2].ndig == 2)) &&
                       !(i + 3 < d->n && phi_tight(d, i + 3) && (d->t[i + 3].kind != TK_PUNCT || d->t[i + 3].ch == '-' || d->t[i + 3].ch == '/'));
            int amb_word = phi_cue(d, i, CUE_MONTH_AMBIGUOUS_SHORT);
            if ((hy_a || hy_b) && !(amb_word && !(hy_a && phi_year_token(d, i + 2)))) {
                phi_mark(d, hy_b ? i - 2 : i, hy_a ? i + 2 : i, PT_DATE, "rule:date-written", -1);
                continue;
            }
            int j = i + 1;
            if (phi_punct(d, j, '.') && phi_tight(d, j) && m >= 100) j++;
            int end = -1, start = i;
            if (j < d->n && !d->t[j].nl && phi_day_token(d, j) &&
                !(j + 2 < d->n && phi_tight(d, j + 1) && phi_punct(d, j + 1, '.') && phi_num(d, j + 2) && phi_tight(d, j + 2))) { /* not 13.5; "13.\n3." is a day */
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
                (phi_cue(d, i - 1, CUE_BEFORE_MONTH_ABBREV)) && !phi_cue(d, i, CUE_MONTH_NOT_AFTER_PREP)) {
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
            /* "on Friday", "last Monday", "since Tuesday": a day of a week the letter dates */
            if (!dated && !abbr && i > 0 && !d->t[i].nl && phi_cue(d, i - 1, CUE_WEEKDAY_CUE) && d->mixed && phi_cap(&d->t[i])) dated = 1;
            if (!dated) continue;
            if (abbr && d->mixed && !phi_cap(&d->t[i])) continue;
            /* the date beside it goes with it: "Sat 9/11" (a month/day that alone could be
             * a ratio), "Tuesday 17th" */
            int end = i;
            if (j < d->n && !d->t[j].nl && phi_num(d, j) && d->t[j].ndig <= 2 && phi_punct(d, j + 1, '/') && phi_tight(d, j + 1) &&
                phi_tight(d, j + 2) && phi_num(d, j + 2) && d->t[j + 2].ndig <= 2 &&
                (phi_month_day(d->t[j].val, d->t[j + 2].val) || phi_month_day(d->t[j + 2].val, d->t[j].val)) &&
                !(j + 3 < d->n && phi_tight(d, j + 3) && d->t[j + 3].kind == TK_PUNCT && d->t[j + 3].ch != '.' && d->t[j + 3].ch != ','))
                end = j + 2;
            else if (j < d->n && !d->t[j].nl && phi_day_token(d, j) && d->t[j].kind == TK_ALNUM) end = j;
            phi_mark(d, i, end, PT_DATE, "rule:weekday", -1);
            continue;
        }
        if (lx & LX_HOLIDAY) { phi_mark(d, i, i, PT_DATE, "rule:holiday", -1); continue; }
        /* "on the 11th", "it's the 3rd." : an ordinal day standing alone */
        if (phi_is(d, i, "the") && phi_day_token(d, i + 1) && d->t[i + 1].kind == TK_ALNUM && !d->t[i + 1].nl &&
            (i + 2 >= d->n || d->t[i + 2].nl || d->t[i + 2].kind == TK_PUNCT || phi_is(d, i + 2, "of"))) {
            if (!phi_is(d, i + 2, "of") || (phi_lex(d, i + 3) & LX_MONTH)) phi_mark(d, i + 1, i + 1, PT_DATE, "rule:date-written", -1);
        }
        /* Memorial Day, New Year's Eve, Valentine's Day */
        if ((phi_cue(d, i + 1, CUE_HOLIDAY_DAY)) && !d->t[i + 1].nl &&
            (phi_cue(d, i, CUE_HOLIDAY_NAME))) {
            int a = phi_cue(d, i, CUE_HOLIDAY_YEAR) && phi_cue(d, i - 1, CUE_HOLIDAY_NEW) ? i - 1 : i;
            int e = i + 1;
            if (e + 1 < d->n && !d->t[e + 1].nl && phi_year_token(d, e + 1)) e++; /* Boxing Day 2023 */
            phi_mark(d, a, e, PT_DATE, "rule:holiday", -1);
        }
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
        int unit = j < d->n && !d->t[j].nl && ((d->t[j].lex & LX_AGEUNIT) || phi_cue(d, j, CUE_AGE_UNIT_LETTER));
        if (unit && phi_cue(d, j, CUE_AGE_YEAR_SINGULAR) && !(phi_punct(d, j + 1, '-') || phi_cue(d, j + 1, CUE_AGE_OLD) || phi_cue(d, j + 2, CUE_AGE_OLD))) unit = 0;
        if (unit && (phi_cue(d, j, CUE_AGE_YEAR_PLURAL)) &&
            !(phi_cue(d, j + 1, CUE_AGE_OLD) || phi_punct(d, j + 1, '-') || phi_cue(d, j + 2, CUE_AGE_OLD))) unit = 0;
        int before = 0;
        for (int k = i - 1; k >= 0 && k >= i - 2; k--) {
            if (phi_cue(d, k, CUE_AGE_WORD)) { before = 1; break; }
            if (!(d->t[k].kind == TK_PUNCT && (d->t[k].ch == ':' || d->t[k].ch == '='))) break;
        }
        /* "98 s/p hip fracture", "92 F with sepsis" at the start of a line or sentence */
        int start = i == 0 || d->t[i].nl || phi_punct(d, i - 1, '.') || phi_punct(d, i - 1, ':');
        int who = j < d->n && !d->t[j].nl && (phi_cue(d, j, CUE_SEX_WORD));
        if (who && phi_is(d, j, "s") && !(phi_punct(d, j + 1, '/') && phi_is(d, j + 2, "p"))) who = 0;
        if (unit || before || (start && who)) phi_mark(d, i, i, PT_AGE, "rule:age-over-89", -1);
    }
}

/* ZIP after a state, UK postcodes */
/* a US state's two-letter code, in either case (the callers check the token's shape) */
static int phi_us_state_abbr(const char *p, int n) {
    static const char *ab = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR ";
    if (n != 2) return 0;
    int a = toupper((unsigned char)p[0]), b = toupper((unsigned char)p[1]);
    for (const char *q = ab; *q; q += 3) if (q[0] == a && q[1] == b) return 1;
    return 0;
}
/* a postcode's letter: a capital, or in a document without case (all lower or all
 * capitals: anycase) a small letter too ("tr11 3qf") */
static int phi_pc_letter(int c, int anycase) { return isupper(c) || (anycase && islower(c)); }
static int phi_uk_outward(const char *p, int n, int anycase) { /* A9, A9A, A99, AA9, AA9A, AA99 */
    if (n < 2 || n > 4 || !phi_pc_letter((unsigned char)p[0], anycase)) return 0;
    int k = 1;
    if (phi_pc_letter((unsigned char)p[1], anycase)) k = 2;
    if (k >= n || !isdigit((unsigned char)p[k])) return 0;
    k++;
    if (k == n) return 1;
    if (isdigit((unsigned char)p[k]) || phi_pc_letter((unsigned char)p[k], anycase)) k++;
    return k == n;
}
static int phi_uk_inward(const char *p, int n, int anycase) { /* 9AA */
    return n == 3 && isdigit((unsigned char)p[0]) && phi_pc_letter((unsigned char)p[1], anycase) &&
           phi_pc_letter((unsigned char)p[2], anycase) && !strchr("CIKMOV", toupper((unsigned char)p[1])) &&
           !strchr("CIKMOV", toupper((unsigned char)p[2]));
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

/* Up to 3 words before the state code at token st (and its comma) are the town: "City,
 * ST 12345"; capitalised in mixed text; with only_free, words another rule marked stop it. */
static void phi_city_before_state(PhiDoc *d, int st, int only_free) {
    int c = st - 1;
    if (phi_punct(d, c, ',')) c--;
    for (int w = 0; w < 3 && c >= 0 && phi_word(d, c) && !d->t[c + 1].nl && !(d->t[c].lex & LX_STOP) &&
                    (!only_free || phi_free(d, c)) && (!d->mixed || phi_cap(&d->t[c])); w++, c--) {
        phi_mark(d, c, c, PT_CITY, "rule:city-before-state", st);
        if (d->t[c].nl) break;
    }
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
            /* without case: "pittsburgh, pa 15222" (a state's code after a town and a comma;
               alone, "in 10000" is no ZIP) */
            if (!st && !d->mixed && k >= 2 && d->t[k].kind == TK_WORD && d->t[k].shape == SH_LOWER && d->t[k].b1 - d->t[k].b0 == 2 &&
                phi_punct(d, k - 1, ',') && phi_word(d, k - 2) && !d->t[k].nl) {
                st = phi_us_state_abbr(d->text + d->t[k].b0, 2);
                if (st) phi_mark(d, k, k, PT_STATE, "rule:zip-after-state", i);
            }
            int zipctx = phi_ctx_before(d, i, LX_HEADER, 2) >= 0 && (phi_cue(d, phi_ctx_before(d, i, LX_HEADER, 2), CUE_ZIP_LABEL));
            if (st || zipctx) {
                int end = i;
                if (phi_punct(d, i + 1, '-') && phi_tight(d, i + 1) && phi_num(d, i + 2) && d->t[i + 2].ndig == 4) end = i + 2;
                phi_mark(d, i, end, PT_ZIP, "rule:zip-after-state", st ? k : -1);
                phi_address_line_before(d, k >= 0 ? k : i);
                phi_city_before_state(d, k, 0); /* the city before "City, ST" */
            }
        } else if (t->kind == TK_NUM && t->ndig == 4 && i > 0 && !t->nl && phi_word(d, i - 1) && d->t[i - 1].shape == SH_UPPER &&
                   phi_cue(d, i - 1, CUE_STATE_CODE4) && (phi_free(d, i - 1) || d->type[i - 1] == PT_STATE) &&
                   !(i + 1 < d->n && !d->t[i + 1].nl && (d->t[i + 1].lex & LX_UNIT))) {
            /* an Australian state's code and its four-digit postcode: "Dubbo NSW 2830" */
            phi_mark(d, i - 1, i - 1, PT_STATE, "rule:zip-after-state", i);
            phi_mark(d, i, i, PT_ZIP, "rule:zip-after-state", i - 1);
            phi_city_before_state(d, i - 1, 1);
        } else if (t->kind == TK_ALNUM && t->b1 - t->b0 >= 5 && t->b1 - t->b0 <= 7 && phi_uk_inward(d->text + t->b1 - 3, 3, 0) &&
                   phi_uk_outward(d->text + t->b0, t->b1 - t->b0 - 3, 0) && !phi_tight(d, i) && !(i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind != TK_PUNCT)) {
            phi_mark(d, i, i, PT_ZIP, "rule:uk-postcode", -1); /* SW1A1AA, written without its space */
        } else if ((t->kind == TK_ALNUM || t->kind == TK_WORD) && phi_uk_outward(d->text + t->b0, t->b1 - t->b0, !d->mixed) &&
                   i + 1 < d->n && d->t[i + 1].kind == TK_ALNUM && d->t[i + 1].sp && !d->t[i + 1].nl &&
                   phi_uk_inward(d->text + d->t[i + 1].b0, d->t[i + 1].b1 - d->t[i + 1].b0, !d->mixed)) {
            phi_mark(d, i, i + 1, PT_ZIP, "rule:uk-postcode", -1);
            phi_address_line_before(d, i);
        }
    }
}

/* street addresses: "12 Oak Road", "221B Baker Street", "PO Box 17" */
/* "Dr" ends a street ("2231 Maple Ridge Dr, Dearborn") only at a comma or a line end */
static int phi_street_dr(const PhiDoc *d, int k) {
    if (!phi_cue(d, k, CUE_STREET_DR) || !d->mixed || d->t[k].shape != SH_TITLE) return 0;
    int nx = k + 1;
    if (phi_punct(d, nx, '.') && phi_tight(d, nx)) nx++;
    return nx >= d->n || d->t[nx].nl || phi_punct(d, nx, ',');
}
/* a numbered street's name: an ordinal of up to three digits (5th, 11th, 42nd, 103rd) */
static int phi_street_ordinal(const PhiDoc *d, int i) {
    if (i < 0 || i >= d->n || d->t[i].kind != TK_ALNUM || d->t[i].ndig > 3 || d->t[i].nalpha != 2 || d->t[i].nl) return 0;
    const char *p = d->text + d->t[i].b0;
    if (!isdigit((unsigned char)p[0])) return 0;
    return phi_cue_text(d->r, p + d->t[i].ndig, 2, CUE_ORDINAL);
}
/* the end of a street after its street word k: a tight '.', then a compass direction, a
 * letter (11th Ct W, 4th ave n near) or a word that ends the phrase (5th Avenue North,) */
static int phi_street_tail(const PhiDoc *d, int k) {
    int end = k;
    if (phi_punct(d, end + 1, '.') && phi_tight(d, end + 1)) end++;
    int w = end + 1;
    if (w < d->n && !d->t[w].nl && phi_word(d, w) && phi_cue(d, w, CUE_STREET_DIRECTION) &&
        (!d->mixed || phi_cap(&d->t[w])) && (d->t[w].nalpha == 1 ||
        w + 1 >= d->n || d->t[w + 1].nl || phi_punct(d, w + 1, ',') || phi_punct(d, w + 1, '.') || phi_punct(d, w + 1, ';')))
        end = w;
    return end;
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
        int k = i + 1, words = 0, ordinal = phi_street_ordinal(d, k);
        if (ordinal) words++, k++; /* 1518 11th Ct W */
        while (!ordinal && k < d->n && words < 4 && !d->t[k].nl && phi_word(d, k) && !(d->t[k].lex & (LX_STOP | LX_UNIT))) {
            if (((d->t[k].lex & LX_STREET) || phi_street_dr(d, k)) && words > 0) break;
            if (d->mixed && !phi_cap(&d->t[k])) break;
            words++;
            k++;
        }
        if (words == 0 || k >= d->n || d->t[k].nl || !((d->t[k].lex & LX_STREET) || phi_street_dr(d, k)) || !phi_word(d, k)) continue;
        if (d->mixed && !phi_cap(&d->t[k])) continue;
        /* "1 ST DEGREE AV BLOCK": short street words need mixed-case text */
        if (ordinal && phi_cue(d, k, CUE_STREET_WORD_AMBIGUOUS)) continue; /* 60s 1st AV block */
        if (!d->mixed && d->t[k].nalpha <= 3 && !ordinal) {
            /* ... unless the street word ends the phrase: "19 birch st. in frostburg" */
            int closed = phi_punct(d, k + 1, '.') || phi_punct(d, k + 1, ',') || k + 1 >= d->n || d->t[k + 1].nl;
            int clean = !phi_cue(d, k, CUE_STREET_WORD_AMBIGUOUS), named = 0; /* "8u reg insulin sq." */
            for (int m = i + 1; m < k; m++) {
                if ((d->t[m].lex & (LX_STREET | LX_NUMCTX | LX_UNIT)) || d->t[m].nalpha < 3) clean = 0;
                if ((d->t[m].lex & (LX_FIRST | LX_LAST | LX_CITY | LX_SITE)) || !d->t[m].lex) named = 1;
            }
            if (!closed || !clean || !named || words > 2 || d->t[i].kind != TK_NUM) continue;
        }
        int end = phi_street_tail(d, k);
        phi_mark(d, i, end, PT_STREET, "rule:street-address", k);
        i = end;
    }
    /* a numbered street without a house number: "on 4th ave n", "5th Avenue North" */
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_free(d, i) || !phi_street_ordinal(d, i) || phi_num(d, i - 1)) continue;
        int k = i + 1;
        if (d->t[k].nl || !phi_word(d, k) || !(d->t[k].lex & LX_STREET) || phi_cue(d, k, CUE_STREET_DR) ||
            phi_cue(d, k, CUE_STREET_WORD_AMBIGUOUS) || (d->mixed && !phi_cap(&d->t[k])))
            continue;
        int end = phi_street_tail(d, k);
        phi_mark(d, i, end, PT_STREET, "rule:street-address", k);
        i = end;
    }
}

/* a line that names a letter's addressee: a title and a capitalised name first on it */
static int phi_addressee_line(const PhiDoc *d, int a, int b) {
    int k = a;
    if (!phi_word(d, k) || !(d->t[k].lex & LX_TITLE)) return 0;
    k++;
    if (phi_punct(d, k, '.')) k++;
    return k <= b && phi_word(d, k) && phi_cap(&d->t[k]) && !(d->t[k].lex & (LX_STOP | LX_HEADER));
}
/* an address written as a block: the short capitalised lines between a street line (or
 * an addressee's name) and the postcode / ZIP line are its locality and town ("14 Orchard
 * Close / Little Haddon / Norwich / NR14 6QT") */
static void phi_rule_address_blocks(PhiDoc *d) {
    for (int z = 1; z < d->n; z++) {
        if (!d->t[z].nl || d->type[z] != PT_ZIP) continue;
        int line_end = z - 1, lines = 0;
        int starts[5], ends[5], found_street = 0;
        while (line_end >= 0 && lines < 5) {
            int a = line_end;
            while (a > 0 && !d->t[a].nl) a--;
            int street = 0, ok = 1, words = 0, named = 0;
            for (int k = a; k <= line_end; k++) {
                if (d->type[k] == PT_STREET) street = 1;
                if (d->t[k].kind == TK_PUNCT) { if (d->t[k].ch != ',' && d->t[k].ch != '.' && d->t[k].ch != '-' && d->t[k].ch != '\'') ok = 0; continue; }
                words++;
                /* the small words of a place's name: An Spidéal, Co. na Gaillimhe */
                if (phi_word(d, k) && phi_cue(d, k, CUE_STREET_PARTICLE) && !(d->t[k].lex & (LX_TITLE | LX_HEADER))) continue;
                if (!phi_word(d, k) || (d->t[k].lex & (LX_STOP | LX_TITLE | LX_HEADER)) || (d->mixed && !phi_cap(&d->t[k]))) ok = 0;
                named = 1;
            }
            if (street) { found_street = 1; break; }
            /* the addressee's name above the lines, in mixed text: "Mr Padraig Ó Flaithearta /
               Carrowmore / Bóthar na Trá / An Spidéal / H91 X2C6" */
            if (d->mixed && lines >= 2 && phi_addressee_line(d, a, line_end)) { found_street = 1; break; }
            if (!named) ok = 0;
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
        for (int l = 0; l < lines; l++) {
            int street = 0; /* a line named by a street word is the street (Bóthar na Trá) */
            for (int k = starts[l]; k <= ends[l]; k++) street |= phi_street_word(d, k) || phi_cue(d, k, CUE_STREET_FIRST);
            for (int k = starts[l]; k <= ends[l]; k++)
                if (phi_word(d, k))
                    phi_mark(d, k, k, street ? PT_STREET : (d->t[k].lex & LX_STATE) ? PT_LOCATION : PT_CITY, "rule:address-line", z);
        }
    }
}

/* An address is one run on its line: once a street part is found, the house number and
 * the unfamiliar name words before it ("6750 Koskikatu 25 Apt. 864") and the town, state,
 * country and postcode after it (", Artilleros, CO Uruguay 64677") belong to it. Left of
 * the street only up to its first number; right of it only place-like words: a gazetteer
 * place, a state code, a word no vocabulary knows (capitalised in mixed text), a number
 * or a short code with digits. Anything else (a lower-case word, a title, a label) ends
 * the run. */
static int phi_location_type(int type) {
    return type == PT_STREET || type == PT_CITY || type == PT_STATE || type == PT_ZIP || type == PT_COUNTRY ||
           type == PT_COUNTY || type == PT_LOCATION;
}
static int phi_address_word(const PhiDoc *d, int k) {
    const PhiTok *t = &d->t[k];
    if (t->lex & (LX_STOP | LX_TITLE | LX_HEADER | LX_MONTH | LX_WEEKDAY | LX_RELATION | LX_CRED)) return 0;
    if (d->mixed && !phi_cap(t)) return 0;
    return (t->lex & (LX_CITY | LX_REGION | LX_COUNTRY | LX_STATE | LX_STREET)) || phi_unfamiliar(d, k);
}
/* the type of token k as a part of an address's tail (town, state, country, postcode),
 * or 0 when it is no such part; punctuation inside the tail is -1 */
static int phi_address_tail_type(const PhiDoc *d, int k) {
    const PhiTok *t = &d->t[k];
    if (!phi_free(d, k)) return phi_location_type(d->type[k]) ? d->type[k] : 0;
    if (phi_punct(d, k, ',') || phi_punct(d, k, '-')) return -1;
    if (phi_punct(d, k, '.') && k > 0 && phi_word(d, k - 1) && !t->sp) return -1;
    /* a number ends the line or stands before another place word ("2 steps" is no postcode) */
    int next_ok = k + 1 >= d->n || d->t[k + 1].nl || d->t[k + 1].kind == TK_PUNCT || !phi_free(d, k + 1) ||
                  (phi_word(d, k + 1) && phi_address_word(d, k + 1));
    if (t->kind == TK_NUM && t->ndig <= 6 && next_ok) return PT_ZIP;
    if (t->kind == TK_ALNUM && t->b1 - t->b0 <= 8 && t->ndig > 0 && next_ok) return PT_ZIP;
    if (phi_word(d, k) && phi_cue(d, k, CUE_STATE_CODE) && t->shape == SH_UPPER) return PT_STATE;
    if (phi_word(d, k) && phi_address_word(d, k))
        return (t->lex & LX_COUNTRY) ? PT_COUNTRY : (t->lex & (LX_REGION | LX_STATE)) && !(t->lex & LX_CITY) ? PT_STATE : PT_CITY;
    return 0;
}
static void phi_mark_address_tail(PhiDoc *d, int a, int b, int trig) {
    for (int k = a; k <= b; k++) {
        int type = phi_address_tail_type(d, k);
        if (type > 0 && phi_free(d, k)) phi_mark(d, k, k, type, "rule:address-run", trig);
    }
}
static void phi_rule_address_runs(PhiDoc *d) {
    /* a unit after a house number and a name: "6750 Koskikatu 25 Apt. 864" is a street part */
    for (int u = 2; u + 1 < d->n; u++) {
        if (!phi_free(d, u) || !phi_cue(d, u, CUE_UNIT_WORD) || (d->mixed && d->t[u].shape == SH_LOWER) || d->t[u].nl) continue;
        int v = u + 1;
        if (phi_punct(d, v, '.') && !d->t[v].sp) v++;
        if (v >= d->n || d->t[v].nl || !(phi_num(d, v) || d->t[v].kind == TK_ALNUM) || !phi_free(d, v)) continue;
        int num = 0, name = 0;
        for (int k = u - 1; k >= 0 && k >= u - 5 && !d->t[k + 1].nl; k--) {
            if (phi_num(d, k) && d->t[k].ndig <= 6 && d->t[k].sp && !(k > 0 && d->t[k - 1].kind == TK_PUNCT && !d->t[k].sp)) { if (name) num = 1; }
            else if (phi_word(d, k) && phi_free(d, k) && phi_address_word(d, k) && phi_unfamiliar(d, k) &&
                     !(d->t[k].lex & (LX_COMMON | LX_NUMCTX | LX_UNIT | LX_VENT))) name = 1;
            else if (!phi_punct(d, k, ',')) break;
        }
        if (num && name) phi_mark(d, u, v, PT_STREET, "rule:address-run", u);
    }
    for (int a = 0; a < d->n; a++) {
        if (d->type[a] != PT_STREET) continue;
        int b = a;
        while (b + 1 < d->n && !d->t[b + 1].nl && (d->type[b + 1] == PT_STREET || (d->t[b + 1].kind == TK_PUNCT && d->type[b + 1] == PT_NONE &&
               b + 2 < d->n && d->type[b + 2] == PT_STREET && !d->t[b + 2].nl))) b++;
        /* left: back to the first number of the run */
        int first_num = -1;
        for (int k = a - 1, steps = 0; k >= 0 && steps < 6 && !d->t[k + 1].nl; k--, steps++) {
            if (!phi_free(d, k)) break;
            if (phi_num(d, k) && d->t[k].ndig <= 6) {
                if (!d->t[k].sp && k > 0 && !d->t[k].nl) break; /* 120/80: a number tight after another token */
                first_num = k;
            } else if (phi_punct(d, k, '-') || phi_punct(d, k, ',')) continue;
            else if (!phi_word(d, k) || !phi_address_word(d, k)) break;
        }
        if (first_num >= 0) phi_mark(d, first_num, a - 1, PT_STREET, "rule:address-run", a);
        /* right: the town, state, country and postcode of the same line */
        int last = b, k = b + 1;
        for (int steps = 0; k < d->n && steps < 10 && !d->t[k].nl; k++, steps++) {
            int type = phi_address_tail_type(d, k);
            if (!type) break;
            if (type > 0) last = k;
        }
        phi_mark_address_tail(d, b + 1, last, a);
        /* and the lines after it while each is wholly a tail (Artilleros / , CO / Uruguay 64677) */
        for (int lines = 0; lines < 3 && k == last + 1 && k < d->n && d->t[k].nl; lines++) {
            int e = k, places = 0;
            while (e < d->n && (e == k || !d->t[e].nl) && e < k + 8) {
                int type = phi_address_tail_type(d, e);
                if (!type) break;
                places += type > 0;
                e++;
            }
            if (!places || (e < d->n && !d->t[e].nl)) break; /* the line holds something else */
            phi_mark_address_tail(d, k, e - 1, a);
            last = e - 1;
            k = e;
        }
        a = last;
    }
}

/* a state code after a town the place rules found and a comma, whatever follows
 * ("Madison, WI with her son", "(Madison, WI - approximate)"); not a stop word (IN, OR, ME) */
static void phi_rule_state_after_town(PhiDoc *d) {
    for (int i = 2; i < d->n; i++) {
        if (!phi_free(d, i) || d->t[i].nl || !phi_punct(d, i - 1, ',')) continue;
        if (phi_cue(d, i, CUE_STATE_CODE) && d->t[i].shape == SH_UPPER && d->type[i - 2] == PT_CITY && !(d->t[i].lex & (LX_STOP | LX_CRED))) {
            phi_mark(d, i, i, PT_STATE, "rule:state-after-town", i - 2);
            continue;
        }
        /* without case: "portland, me" ending a line or a bracket (a heading's town and
           state); the code may be a word (me, ok, in), so nothing may follow it */
        if (d->mixed || d->t[i].shape != SH_LOWER || d->t[i].b1 - d->t[i].b0 != 2 || !phi_word(d, i - 2) || d->t[i - 2].nl) continue;
        if (!(i + 1 >= d->n || d->t[i + 1].nl || phi_punct(d, i + 1, ')'))) continue;
        if (!phi_us_state_abbr(d->text + d->t[i].b0, 2)) continue;
        phi_mark(d, i, i, PT_STATE, "rule:state-after-town", i - 2);
        if (phi_free(d, i - 2) && !(d->t[i - 2].lex & LX_STOP)) phi_mark(d, i - 2, i - 2, PT_CITY, "rule:state-after-town", i);
    }
}

/* devotional names that many hospitals share: Holy Cross, Sacred Heart, Good Samaritan,
 * with a hospital word right after them (Memorial, Hospital) when it is one of the name */
static void phi_rule_devotional_hospitals(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (d->t[i + 1].nl || !phi_word(d, i + 1) || phi_phrase(d, i, CUE_HOSPITAL_DEVOTIONAL) != 2) continue;
        /* in mixed text the name is capitalised, or a hospital word follows */
        int hw = i + 2 < d->n && !d->t[i + 2].nl && (d->t[i + 2].lex & LX_HOSPWORD);
        if (d->mixed && !(phi_cap(&d->t[i]) && phi_cap(&d->t[i + 1])) && !hw) continue;
        if (!d->mixed && !hw && !phi_is(d, i - 1, "at") && !phi_is(d, i - 1, "to") && !phi_is(d, i - 1, "from") &&
            !phi_is(d, i - 1, "by") && !phi_is(d, i - 1, "in") && !phi_punct(d, i - 1, '(')) continue;
        phi_mark(d, i, i + 1, PT_HOSPITAL, "rule:devotional-hospital", -1);
        if (hw && phi_hosp_nameish(d, i + 2)) phi_mark(d, i + 2, i + 2, PT_HOSPITAL, "rule:devotional-hospital", -1);
    }
}

/* practices and health centres, named by the capitalised words before their head
 * ("Lakeside Family Medicine", "Bridge Street Surgery", "Hollins Health Centre"); the
 * name needs a word that is not an ordinary one, or a street word (not "General
 * Surgery", "Cardiac Surgery") */
static void phi_rule_practices(PhiDoc *d) {
    if (!d->mixed) return;
    for (int i = 1; i < d->n; i++) {
        if (!phi_word(d, i) || !phi_cap(&d->t[i])) continue;
        int head = phi_phrase(d, i, CUE_PRACTICE_HEAD);
        if (!head || (head == 2 && !phi_cap(&d->t[i + 1]))) continue;
        int end = i + head - 1;
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
    return j < d->n && !d->t[j].nl && ((d->t[j].lex & LX_AGEUNIT) || phi_cue(d, j, CUE_AGE_UNIT_PHRASE));
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
    for (int i = 0; i + 1 < d->n; i++) {
        int cue = phi_phrase(d, i, CUE_NAME_CUE);
        int j = cue ? i + cue : -1;
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

/* Dr Smith, Mrs. O'Rourke, Prof. J. van der Berg; weak titles (Mr, Ms) only before a
 * word that looks like a name on its own. */
static void phi_rule_titles(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!(d->t[i].lex & LX_TITLE) || !phi_word(d, i)) continue;
        int plural = phi_cue(d, i, CUE_TITLE_PLURAL);
        if (!plural && d->t[i].b1 - d->t[i].b0 > 2 && d->text[d->t[i].b1 - 2] == '\'') continue; /* doctor's */
        int weak = d->t[i].e && d->t[i].e->aux_title == 2;
        int doctor = phi_cue(d, i, CUE_TITLE_DOCTOR) || plural;
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (j >= d->n || d->t[j].nl) continue;
        /* "doctor" and "professor" are also nouns: only a name-like word after them */
        /* "Mr Baker", "Ms. Marsh": a weak title written as a title (not MR, MS) before a
         * capitalised word in mixed text names that word, even an ordinary one */
        int weak_ok = weak && d->mixed && d->t[i].shape == SH_TITLE && phi_word(d, j) && d->t[j].shape == SH_TITLE;
        int lenient = (weak && !weak_ok) || phi_cue(d, i, CUE_TITLE_NOUN) ? 0 : 1;
        if (lenient == 1 && phi_word(d, j) && !phi_initial(d, j) && !(d->t[j].lex & (LX_STOP | LX_UNIT | LX_PLACESTOP | LX_ROLE | LX_MONTH | LX_WEEKDAY)) &&
            !phi_cue(d, j, CUE_TITLE_NOT_NAME) &&
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
                phi_punct(d, j, ')') || phi_punct(d, j, '?') || phi_cue(d, j, CUE_RELATIVE_FILLER)))
            j++;
        if ((phi_cue(d, i, CUE_RELATION_CHILDREN)) && !(phi_punct(d, i + 1, ':') || phi_punct(d, i + 1, '-') || phi_punct(d, i + 1, '(')))
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
        if (d->mixed && d->t[i].shape == SH_LOWER && (phi_cue(d, i, CUE_CLINICIAN_ROLE_AMBIGUOUS))) continue;
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
        if (phi_is(d, i, "with") && !pair && !(d->mixed && d->t[j].shape == SH_TITLE) &&
            !(!d->mixed && listed && (lx & LX_FIRST) && !(lx & LX_ENGLISH) && d->t[j].nalpha >= 3)) continue;
        if (!(d->t[i].lex & LX_ROLE) && !listed && !pair) continue;
        if (pair && !listed) phi_mark_name(d, j, PT_DOCTOR, "rule:clinician-role", i, 0);
        phi_take_name(d, pair && !listed ? j + 1 : j, 3, pair && !listed ? 1 : 0, PT_DOCTOR, "rule:clinician-role", i);
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

/* a department after "from" says the words before it are a clinician's name: "talked
 * with gwendolyn from case management", "Mary T. Quill from speech and swallow" */
static int phi_department(const PhiDoc *d, int i) { return phi_cue(d, i, CUE_DEPARTMENT); }
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

/* clinicians told about something: "Maribel Ostrava aware", "Pemberton and Kettleby notified" */
static void phi_rule_aware(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!(phi_cue(d, i, CUE_TOLD_VERB))) continue;
        int k = i - 1, words = 0;
        if (phi_cue(d, k, CUE_TOLD_AUX)) k--;
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
        if (!phi_cue(d, i, CUE_FAMILY_WORD)) continue;
        int k = i - 1;
        if (!phi_word(d, k) || d->t[i].nl || !phi_free(d, k)) continue;
        uint64_t lx = d->t[k].lex;
        if (((lx & (LX_FIRST | LX_LAST | LX_SITE)) || (d->mixed && d->t[k].shape == SH_TITLE)) && !(lx & (LX_COMMON | LX_STOP | LX_RELATION)))
            phi_mark_name(d, k, PT_RELATIVE, "rule:family-name", i, 1);
    }
}

/* hospitals: the words before "Hospital", "Clinic", "Medical Center", "Rehab" */
static void phi_rule_hospitals(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        if (!(d->t[i].lex & LX_HOSPWORD) || !phi_word(d, i)) continue;
        /* department-like heads (Heart Failure Clinic, Memory Clinic) need a proper name */
        int rehab = phi_cue(d, i, CUE_HOSPITAL_WORD_DEPARTMENT);
        if (d->mixed && !phi_cap(&d->t[i]) && (phi_cue(d, i, CUE_HOSPITAL_WORD_MEDICAL) || rehab)) continue;
        if ((phi_cue(d, i, CUE_HOSPITAL_WORD_MED)) && !(phi_cue(d, i + 1, CUE_HOSPITAL_WORD_AFTER_MEDICAL))) continue;
        if (phi_cue(d, i, CUE_HOSPITAL_WORD_NHS) && !(phi_cue(d, i + 1, CUE_HOSPITAL_WORD_AFTER_NHS))) continue;
        if (phi_cue(d, i, CUE_HOSPITAL_WORD_MC) && d->t[i].shape != SH_UPPER) continue;
        int k = i - 1, words = 0, strong = 0;
        int last = k;
        if (k >= 0 && (d->t[k].lex & LX_HOSPWORD) && !phi_hosp_nameish(d, k)) { k--; last = k; } /* Medical Center */
        while (k >= 0 && words < 4 && !d->t[k + 1].nl) {
            const PhiTok *t = &d->t[k];
            if (phi_punct(d, k, '.') && k > 0 && phi_cue(d, k - 1, CUE_SAINT_ABBREV)) { k--; continue; }
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
        if ((phi_hosp_nameish(d, i) || phi_cue(d, i, CUE_HOSPITAL_WORD_REHAB)) && (!rehab || strong)) phi_mark(d, i, i, PT_HOSPITAL, "rule:hospital-name", i);
    }
}

/* St. Mary's, St Agnes: a saint's name is a hospital's (not "Birch St.", "ST elevation") */
static void phi_rule_saints(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!(phi_cue(d, i, CUE_SAINT_WORD)) || !phi_free(d, i)) continue;
        if (i > 0 && !d->t[i].nl && (d->t[i - 1].kind == TK_NUM || (phi_word(d, i - 1) && phi_cap(&d->t[i - 1]) && !(d->t[i - 1].lex & (LX_STOP | LX_MOVE))))) continue;
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (j >= d->n || d->t[j].nl || !phi_word(d, j)) continue;
        uint64_t lx = d->t[j].lex;
        if (!(lx & (LX_FIRST | LX_SITE)) || (lx & (LX_STOP | LX_UNIT))) continue;
        if (d->mixed && !phi_cap(&d->t[j])) continue;
        int cue = !d->mixed && (phi_is(d, i - 1, "to") || phi_is(d, i - 1, "at") || phi_is(d, i - 1, "from") || (phi_lex(d, i - 1) & LX_MOVE));
        if ((lx & LX_COMMON) && !(phi_cue(d, i, CUE_SAINT_FULL) || phi_punct(d, i + 1, '.') || d->t[i].shape == SH_TITLE || cue)) continue;
        phi_mark(d, i, j, PT_HOSPITAL, "rule:saint-name", i);
    }
}

/* "U Maryland", "Univ. of Michigan", "University of Leeds": a university hospital */
static void phi_rule_university(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!(phi_cue(d, i, CUE_UNIVERSITY_WORD)) || !phi_free(d, i)) continue;
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

/* the longest US city (1-3 words) starting at token i; returns its last token or -1 */

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
        int prep = phi_word(d, i) && i > 0 && !d->t[i].nl && (phi_cue(d, i - 1, CUE_CITY_PREPOSITION));
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
        if (phi_is(d, j, "in") && (phi_cue(d, j + 1, CUE_MOVEMENT_AFTER_IN))) j += 2;
        if (phi_cue(d, j, CUE_MOVEMENT_TRANSFER)) j++;
        if (phi_punct(d, j, '-') && phi_punct(d, j + 1, '>')) j += 2; /* unresponsive-> GH */
        int live = phi_cue(d, i, CUE_RESIDENCE_VERB);
        /* facility verbs: a short acronym after them names a place (to GH) */
        int facility = phi_cue(d, i, CUE_FACILITY_VERB);
        int in_ok = live || phi_cue(d, i, CUE_VISIT_WORD);
        if (phi_punct(d, i + 1, '-') && phi_punct(d, i + 2, '>')) {}
        else if (phi_is(d, j, "to") || phi_is(d, j, "from") || phi_is(d, j, "at") || phi_is(d, j, "near") || phi_is(d, j, "of") ||
                 (in_ok && phi_is(d, j, "in")) || (phi_cue(d, i, CUE_MOVEMENT_CAME) && phi_is(d, j, "into"))) j++;
        else continue;
        if ((phi_cue(d, i, CUE_GO_VERB)) && !phi_is(d, j - 1, "to")) continue; /* specimens are "sent from" lines */
        if (phi_is(d, j - 1, "of") && !phi_cue(d, i, CUE_MOVEMENT_OF_OK)) continue;
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
        if (k < d->n && !d->t[k].nl && (phi_department(d, k) || phi_cue(d, k, CUE_DEPARTMENT_HEAD))) {
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
        int placed = t->nl || phi_cue(d, i - 1, CUE_UNIT_NAME_CUE) || phi_punct(d, i - 1, ':');
        /* and the number ends the phrase: "Whitcombe 2.", "Whitcombe 3 RN" */
        int ends = nx + 1 >= d->n || d->t[nx + 1].nl || phi_punct(d, nx + 1, '.') || phi_punct(d, nx + 1, ',') ||
                   phi_punct(d, nx + 1, ')') || phi_punct(d, nx + 1, ';') || (d->t[nx + 1].lex & (LX_STOP | LX_CRED));
        if (unknown && placed && ends && phi_num(d, nx) && d->t[nx].ndig <= 2 && !d->t[nx].nl && d->t[nx].sp &&
            !(phi_punct(d, nx + 1, '.') && phi_tight(d, nx + 1) && phi_num(d, nx + 2))) {
            phi_mark(d, i, i, PT_LOCATION, "rule:unit-name", -1);
            d->t[i].ctx_name = 1;
            continue;
        }
        if ((phi_cue(d, nx, CUE_EMERGENCY_DEPT)) && !d->t[nx].nl &&
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
    if (phi_cue(d, i, CUE_HOSPITAL_ACRONYM_CLINICAL)) return 0;
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
        if (phi_is(d, p, "to") && (phi_cue(d, p - 1, CUE_TO_NOT_PLACE))) cue = 0;
        int nx = i + 1;
        if (nx < d->n && !d->t[nx].nl && (phi_cue(d, nx, CUE_EMERGENCY_DEPT))) cue = 1;
        if (!cue) continue;
        phi_mark(d, i, i, PT_HOSPITAL, "rule:hospital-acronym", p >= 0 ? p : -1);
        /* not a seed for the same word elsewhere: hormones and lab names share the shape */
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
        int cue = t->kind == TK_ALNUM && (phi_cue(d, p, CUE_PLACE_SHAPE_CUE) || phi_punct(d, p, '@'));
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
        if (nx < d->n && !d->t[nx].nl && (phi_cue(d, nx, CUE_AREA_WORD)) &&
            (phi_is(d, p, "in") || phi_is(d, p, "from") || phi_is(d, p, "near") || phi_is(d, p, "of") || phi_is(d, p, "around")) &&
            !(t->lex & (LX_STOP | LX_PLACESTOP | LX_GENERIC | LX_UNIT | LX_MONTH | LX_WEEKDAY)) && t->nalpha >= 3 &&
            (d->mixed ? phi_cap(t) : !(t->lex & LX_COMMON) || (t->lex & (LX_CITY | LX_STATE)))) {
            int county = phi_cue(d, nx, CUE_COUNTY_WORD);
            phi_mark(d, i, county ? nx : i, county ? PT_COUNTY : PT_LOCATION, "rule:place-area", nx);
            continue;
        }
        /* "lives in DC", "moved from NY": a state's postal abbreviation */
        if ((t->shape == SH_UPPER || (!d->mixed && t->shape == SH_LOWER)) && t->b1 - t->b0 == 2 && phi_us_state_abbr(d->text + t->b0, 2) &&
            (phi_is(d, i - 1, "in") || phi_is(d, i - 1, "from")) &&
            (phi_cue(d, i - 2, CUE_RESIDENCE_VERB_MOVED)) &&
            !(t->lex & LX_PLACESTOP) && !d->t[i - 1].nl) {
            phi_mark(d, i, i, PT_LOCATION, "rule:place-of-residence", i - 2);
        }
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

/* residences named after a person: "Penwarden House", "Bellamy Manor" (a listed surname,
 * not an ordinary word) */
static void phi_rule_named_houses(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!phi_word(d, i) || !phi_free(d, i) || d->t[i + 1].nl) continue;
        if (!(phi_cue(d, i + 1, CUE_RESIDENCE_HEAD))) continue;
        uint64_t lx = d->t[i].lex;
        if (!(lx & (LX_LAST | LX_SITE)) || (lx & (LX_COMMON | LX_STOP | LX_ENGLISH | LX_RELATION | LX_TITLE)) || d->t[i].nalpha < 4) continue;
        if (d->mixed && !(phi_cap(&d->t[i]) && phi_cap(&d->t[i + 1]))) continue;
        phi_mark(d, i, i, PT_LOCATION, "rule:named-house", i + 1);
        d->t[i].ctx_name = 1;
    }
}

/* an employer: "wife CFO of NCB", "works for Acme Freight", "employed by Lockheed"
 * (mixed text: capitalised words; ALL CAPS / lower case: an acronym or a word in no list) */
static void phi_rule_employer(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        if (!(phi_cue(d, i, CUE_EMPLOYMENT_WORD)) || d->t[i + 1].nl) continue;
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

/* wards and rooms: "room 12", "Bed 4B" (extra); an apartment's "Apt. 656", "Suite 501"
 * is part of a street address, its word with it */
static void phi_rule_wards(PhiDoc *d) {
    for (int i = 0; i + 1 < d->n; i++) {
        if (!(d->t[i].lex & LX_WARDWORD) || !phi_word(d, i)) continue;
        int apt = phi_cue(d, i, CUE_APARTMENT_WORD);
        int j = i + 1;
        if (apt && phi_punct(d, j, '.') && !d->t[j].sp) j++;
        if (phi_punct(d, j, '#') || phi_punct(d, j, ':')) j++;
        if (j >= d->n || d->t[j].nl) continue;
        if (!((d->t[j].kind == TK_NUM && d->t[j].ndig <= 4) || (d->t[j].kind == TK_ALNUM && d->t[j].b1 - d->t[j].b0 <= 5))) continue;
        if (j + 1 < d->n && !d->t[j + 1].nl && (d->t[j + 1].lex & LX_UNIT)) continue;
        if (apt && phi_free(d, i)) phi_mark(d, i, j, PT_STREET, "rule:street-address", -1);
        else phi_mark(d, j, j, apt ? PT_STREET : PT_WARD, apt ? "rule:street-address" : "rule:ward-room", i);
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
    /* a name that is also a word (Owen, Rose) spreads only to capitalised occurrences in
     * mixed text (see phi_rule_same_name) */
    if (phi_is_name_type(ty)) return !(t->lex & LX_COMMON) ? 1 : d->mixed && phi_cap(t) ? 2 : 0;
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
            if (phi_seed(d, s[k].tok) == 2 && !(phi_cap(b) && b->shape == a->shape)) continue;
            if (a->b1 - a->b0 == b->b1 - b->b0 && !strncasecmp(d->text + a->b0, d->text + b->b0, (size_t)(a->b1 - a->b0))) {
                phi_mark(d, i, i, d->type[s[k].tok], "rule:same-name", -1);
                break;
            }
        }
    }
    free(s);
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
            ((d->t[i - 2].lex & (LX_ROLE | LX_RELATION | LX_CRED)) || phi_department(d, i - 2) || phi_cue(d, i - 2, CUE_DEPARTMENT_ROLE))) {
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

/* inside a past-history list: "PMH:", "hx", "history" within the last 40 tokens */
static int phi_in_history(const PhiDoc *d, int i) {
    for (int m = i - 1; m >= 0 && m >= i - 40; m--) {
        if (phi_cue(d, m, CUE_HISTORY_WORD)) return 1;
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
        /* a span of years, "(2016-2018)", "Army, 1978-1982": both ends past years, the
           second later (a time range has one end after 2026 or is no span of years) */
        if (t->val <= 2026 && phi_punct(d, i + 1, '-') && phi_tight(d, i + 1) && phi_num(d, i + 2) && phi_tight(d, i + 2) &&
            d->t[i + 2].ndig == 4 && d->t[i + 2].val > t->val && d->t[i + 2].val <= 2026 && phi_free(d, i + 2) &&
            !(i + 3 < d->n && !d->t[i + 3].nl && ((d->t[i + 3].lex & LX_UNIT) || phi_cue(d, i + 3, CUE_TIME_AFTER_NUMBER)))) {
            phi_mark(d, i, i, PT_YEAR, "rule:year", -1);
            phi_mark(d, i + 2, i + 2, PT_YEAR, "rule:year", -1);
            i += 2;
            continue;
        }
        if (i > 0 && phi_tight(d, i) && d->t[i - 1].kind == TK_PUNCT && d->t[i - 1].ch != '(' && d->t[i - 1].ch != '\'') continue;
        if (i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind == TK_PUNCT && d->t[i + 1].ch != ')' &&
            d->t[i + 1].ch != ',' && d->t[i + 1].ch != '.' && d->t[i + 1].ch != ';') continue;
        if ((phi_punct(d, i + 1, '.') || phi_punct(d, i + 1, ',')) && phi_tight(d, i + 1) && phi_num(d, i + 2) && phi_tight(d, i + 2)) continue;
        if (i + 1 < d->n && phi_tight(d, i + 1) && d->t[i + 1].kind != TK_PUNCT) continue;
        if (i + 1 < d->n && !d->t[i + 1].nl && (d->t[i + 1].lex & LX_UNIT)) continue;
        if (phi_ctx_before(d, i, LX_NUMCTX | LX_UNIT, 2) >= 0) continue;
        int mins = t->val % 100;
        if (mins < 60) { /* could be a time: 1930, 2000 */
            /* "since 2012," ends a clause: a year, where "since 2030 hrs" goes on as a time */
            int clause_end = i + 1 >= d->n || d->t[i + 1].nl || phi_punct(d, i + 1, ',') || phi_punct(d, i + 1, ';') ||
                             phi_punct(d, i + 1, ')') || (phi_punct(d, i + 1, '.') && (i + 2 >= d->n || d->t[i + 2].nl || d->t[i + 2].sp));
            int year_cue = phi_cue(d, i - 1, CUE_YEAR_CUE) && clause_end && t->val <= 2026;
            /* "hyperkalaemia (2019)": a past year alone in brackets after a word */
            int bracketed = t->val <= 2026 && phi_punct(d, i - 1, '(') && phi_tight(d, i) && phi_word(d, i - 2) &&
                            phi_punct(d, i + 1, ')') && phi_tight(d, i + 1);
            if (bracketed) { phi_mark(d, i, i, PT_YEAR, "rule:year", -1); continue; }
            if (!year_cue && phi_ctx_before(d, i, LX_TIMECTX, 1) >= 0) continue;
            if (i > 0 && (phi_num(d, i - 1) || phi_punct(d, i - 1, '-') || phi_punct(d, i - 1, '@') || phi_punct(d, i - 1, '~'))) continue;
            if (i + 1 < d->n && !d->t[i + 1].nl && (phi_cue(d, i + 1, CUE_TIME_AFTER_NUMBER) || phi_punct(d, i + 1, '-') ||
                phi_is(d, i + 1, "to") || phi_num(d, i + 1) || phi_is(d, i + 1, "and"))) continue;
            if (!(phi_cue(d, i - 1, CUE_YEAR_CUE) ||
                  phi_punct(d, i - 1, ',') || (phi_punct(d, i - 1, ':') && phi_ctx_before(d, i, LX_DATECTX, 2) >= 0) ||
                  phi_in_history(d, i))) continue;
        }
        int dob = phi_ctx_before(d, i, LX_DATECTX, 3);
        if (dob >= 0 && (phi_cue(d, dob, CUE_BIRTH_WORD)))
            phi_mark(d, i, i, PT_DATE, "rule:year-of-birth", dob);
        else phi_mark(d, i, i, PT_YEAR, "rule:year", -1);
    }
}

/* occupations, when the text ties them to someone: "retired electrician", "works as a
 * librarian", "Occupation: teacher", "is a 34 year old teacher" */
static void phi_rule_professions(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        if (!(d->t[i].lex & LX_PROFESSION) || !phi_word(d, i) || !phi_free(d, i)) continue;
        int tied = 0;
        for (int k = i - 1; k >= 0 && k >= i - 6 && !d->t[k + 1].nl; k--)
            if (phi_cue(d, k, CUE_PROFESSION_CUE)) { tied = 1; break; }
        if (!tied) continue;
        /* the occupation's own modifiers before it: "crane operator", "pulp mill
           electrician", "long-haul trucker" (not "retired", an age, or a function word) */
        int a = i;
        for (int k = i - 1, words = 0; k >= 0 && words < 3 && !d->t[k + 1].nl; k--) {
            if (phi_punct(d, k, '-') && phi_tight(d, k + 1) && phi_tight(d, k) && k > 0 && phi_word(d, k - 1)) continue;
            if (!phi_word(d, k) || !phi_free(d, k) || (d->t[k].lex & (LX_STOP | LX_AGEUNIT | LX_TITLE | LX_MONTH | LX_WEEKDAY)) ||
                phi_cue(d, k, CUE_PROFESSION_CUE) || (d->mixed && d->t[k].shape != d->t[i].shape && d->t[k].shape != SH_LOWER) ||
                (k > 0 && (d->t[k - 1].lex & LX_AGEUNIT))) break; /* "34 year old" */
            a = k;
            words++;
        }
        phi_mark(d, a, i, PT_PROFESSION, "lexicon:professions", -1);
    }
}

/* ---- the fail-closed layer: what no rule decided and no vocabulary knows ---- */


/* lower-case s[0..n) is a known word */
static int phi_known_text(const SrPhiRules *r, const char *s, int n) {
    const PhiEntry *e = phi_lookup(r, s, (size_t)n);
    return e && (e->flags & LX_KNOWN);
}
/* the same for a misspelling's candidate: a place is no ordinary word to have misspelt
 * ("Baltmore" is Baltimore, not a slip of the pen to let pass) */
static int phi_known_unplaced(const SrPhiRules *r, const char *s, int n) {
    const PhiEntry *e = phi_lookup(r, s, (size_t)n);
    return e && (e->flags & LX_KNOWN) && !(e->flags & (LX_CITY | LX_REGION | LX_COUNTRY | LX_STATE));
}

/* A word known after taking off an affix (data/phi_cues.txt: vocab-prefix,
 * vocab-suffix): "rehydrated" from "hydrate", "nonblanching" from "blanching". The
 * rest must be a known word of 4+ letters. */
static int phi_known_affixed(const SrPhiRules *r, const char *low, int n) {
    for (int k = 0; k < r->n_phrase; k++) {
        const PhiPhrase *a = &r->phrase[k];
        int m = a->len[0];
        if (a->cls == CUE_VOCAB_SUFFIX && n - m >= 4 && !memcmp(low + n - m, a->w[0], (size_t)m)) {
            if (phi_known_text(r, low, n - m)) return 1;
            char e[64]; /* a silent e: "sedated" - "ed" + "e" */
            memcpy(e, low, (size_t)(n - m));
            e[n - m] = 'e';
            if (phi_known_text(r, e, n - m + 1)) return 1;
            if (n - m >= 5 && low[n - m - 1] == low[n - m - 2] && phi_known_text(r, low, n - m - 1)) return 1; /* "stopped" */
        }
        if (a->cls == CUE_VOCAB_PREFIX && n - m >= 4 && !memcmp(low, a->w[0], (size_t)m)) {
            const char *rest = low + m;
            int rn = n - m;
            if (rest[0] == '-') rest++, rn--;
            if (rn >= 4 && (phi_known_text(r, rest, rn) || phi_known_affixed(r, rest, rn))) return 1;
        }
    }
    return 0;
}

/* one edit (a letter dropped, added, changed, or two swapped) away from a known word of
 * 5+ letters: a misspelling (recieved, secreations, extremites), not a new word */
/* one edit from a word with one of `flags` (any known flag when flags is 0, places left out) */
static int phi_is_near(const SrPhiRules *r, const char *s, int n, uint64_t flags) {
    if (!flags) return phi_known_unplaced(r, s, n);
    const PhiEntry *e = phi_lookup(r, s, (size_t)n);
    return e && (e->flags & flags);
}
static int phi_near(const SrPhiRules *r, const char *w, int n, uint64_t flags) {
    if (n < 5 || n > 24) return 0;
    char c[32];
    for (int k = 0; k < n; k++) { /* dropped, swapped */
        memcpy(c, w, (size_t)k);
        memcpy(c + k, w + k + 1, (size_t)(n - k - 1));
        if (n - 1 >= 5 && phi_is_near(r, c, n - 1, flags)) return 1;
        if (k + 1 < n && w[k] != w[k + 1]) {
            memcpy(c, w, (size_t)n);
            c[k] = w[k + 1];
            c[k + 1] = w[k];
            if (phi_is_near(r, c, n, flags)) return 1;
        }
    }
    for (int k = 0; k <= n; k++) /* changed, added */
        for (char a = 'a'; a <= 'z'; a++) {
            if (k < n && a != w[k]) {
                memcpy(c, w, (size_t)n);
                c[k] = a;
                if (phi_is_near(r, c, n, flags)) return 1;
            }
            memcpy(c, w, (size_t)k);
            c[k] = a;
            memcpy(c + k + 1, w + k, (size_t)(n - k));
            if (phi_is_near(r, c, n + 1, flags)) return 1;
        }
    return 0;
}

/* w[0..n) begins a known word at least `more` letters longer (adeq: adequate, hemodyn:
 * hemodynamic): a binary search of the sorted safe list and dictionary */
static int phi_truncated(const SrPhiRules *r, const char *w, int n, int more) {
    for (int f = 0; f < 2; f++) {
        const char *buf = r->sorted[f].p;
        size_t len = r->sorted[f].len, lo = 0, hi = len;
        if (!buf) continue;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2, a = mid, b;
            while (a > lo && buf[a - 1] != '\n') a--;
            for (b = a; b < len && buf[b] != '\n'; b++) {}
            size_t m = b - a < (size_t)n ? b - a : (size_t)n;
            int c = memcmp(buf + a, w, m);
            if (c == 0) c = b - a < (size_t)n ? -1 : 0;
            if (c < 0) lo = b + 1;
            else hi = a;
        }
        size_t b = lo;
        while (b < len && buf[b] != '\n') b++;
        if (lo < len && b - lo >= (size_t)(n + more) && !memcmp(buf + lo, w, (size_t)n)) return 1;
    }
    return 0;
}

/* restricted Damerau-Levenshtein distance of a and b, or `cut` + 1 when larger */
static int phi_edit_distance(const char *a, int n, const char *b, int m, int cut) {
    int dp[3][40];
    if (n >= 39 || m >= 39) return cut + 1;
    for (int j = 0; j <= m; j++) dp[0][j] = j;
    for (int i = 1; i <= n; i++) {
        int *cur = dp[i % 3], *prev = dp[(i - 1) % 3], *prev2 = dp[(i + 1) % 3];
        cur[0] = i;
        int best = i;
        for (int j = 1; j <= m; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < c) c = prev2[j - 2] + 1;
            cur[j] = c;
            if (c < best) best = c;
        }
        if (best > cut) return cut + 1;
    }
    return dp[n % 3][m];
}

/* A long word (7+ letters) within two edits of a known word that begins with the same
 * three letters (amnioderone, purpousful, somulent): a misspelling. The sorted lists
 * give the candidates by binary search. */
static int phi_misspelt_twice(const SrPhiRules *r, const char *w, int n) {
    if (n < 7 || n > 30) return 0;
    for (int f = 0; f < 2; f++) {
        const char *buf = r->sorted[f].p;
        size_t len = r->sorted[f].len, lo = 0, hi = len;
        if (!buf) continue;
        while (lo < hi) { /* the first line >= the 3-letter prefix */
            size_t mid = lo + (hi - lo) / 2, a = mid, b;
            while (a > lo && buf[a - 1] != '\n') a--;
            for (b = a; b < len && buf[b] != '\n'; b++) {}
            size_t m = b - a < 3 ? b - a : 3;
            int c = memcmp(buf + a, w, m);
            if (c == 0) c = b - a < 3 ? -1 : 0;
            if (c < 0) lo = b + 1;
            else hi = a;
        }
        for (size_t a = lo; a < len;) {
            size_t b = a;
            while (b < len && buf[b] != '\n') b++;
            if (b - a < 3 || memcmp(buf + a, w, 3)) break;
            int m = (int)(b - a);
            if (m >= n - 2 && m <= n + 2 && m >= 5 && phi_edit_distance(w, n, buf + a, m, 2) <= 2 && phi_known_unplaced(r, buf + a, m)) return 1;
            a = b + 1;
        }
    }
    return 0;
}

/* two known words written as one (tubefeeds, waterseal, breathsounds) */
static int phi_compound(const SrPhiRules *r, const char *w, int n) {
    for (int k = 3; k + 3 <= n; k++)
        if (phi_known_unplaced(r, w, k) && phi_known_unplaced(r, w + k, n - k)) return 1;
    return 0;
}

static int phi_misspelt(const SrPhiRules *r, const char *w, int n) { return phi_near(r, w, n, 0); }

/* clinical shorthand written without its vowels (sxn, drng, snds, dsgs): at most one
 * vowel in 3+ letters */
static int phi_vowelless(const char *w, int n) {
    int v = 0;
    for (int k = 0; k < n; k++) v += strchr("aeiouy", w[k]) != NULL;
    return n >= 2 && v <= (n >= 5 ? 1 : n >= 3 ? 1 : 0);
}

/* Token i (a word) is understood without being PHI: a word of the safe vocabularies or
 * the rules' classes, one with a known stem under an affix or a contraction, a
 * misspelling of a known word, clinical shorthand, or an acronym in mixed-case text.
 * Words of the name lists get no benefit of the doubt (a misspelt word is no name). */
static int phi_known_word(const PhiDoc *d, int i) {
    const PhiTok *t = &d->t[i];
    if ((t->lex & LX_KNOWN) || t->cue >= 0 || t->nalpha <= 1) return 1;
    int n = t->b1 - t->b0;
    char low[64];
    if (n >= (int)sizeof low) return 0;
    int wide = 0;
    for (int k = 0; k < n; k++) wide |= (unsigned char)d->text[t->b0 + k] >= 0x80;
    if (wide) n = phi_fold(d->text + t->b0, n, low, sizeof low);
    else for (int k = 0; k < n; k++) low[k] = (char)tolower((unsigned char)d->text[t->b0 + k]);
    if (n <= 0) return 0;
    /* a contraction or a possessive: cont'd, rec'ing, don't, they're */
    char *ap = memchr(low, '\'', (size_t)n);
    if (ap) {
        int stem = (int)(ap - low);
        if (stem >= 1 && phi_cue_text(d->r, ap, n - stem, CUE_CONTRACTION)) {
            if (phi_known_text(d->r, low, stem) || phi_cue_text(d->r, low, stem, CUE_CONTRACTION_STEM)) return 1;
            n = stem;
        } else return 0;
    }
    if (phi_known_text(d->r, low, n) || phi_known_affixed(d->r, low, n)) return 1;
    /* a listed name: only short ones in text without case, or in capitals in mixed text,
     * where no rule saw a name (HOH, SERO-SANG, VUE are shorthand far more often than a
     * surname out of context) */
    if (t->lex & (LX_FIRST | LX_LAST)) return n <= 4 && (!d->mixed || t->shape == SH_UPPER);
    int title = d->mixed && t->shape == SH_TITLE && !phi_sentence_start(d, i);
    if (title) return 0; /* an unknown capitalised word in running text: a name, a place */
    if (d->mixed && t->shape == SH_LOWER) return 1; /* in mixed-case text names have capitals:
                                                        a lower-case word is shorthand or a slip */
    if (d->mixed && t->shape == SH_UPPER && n <= 6) return 1; /* an acronym (PDQ, GABA) */
    if (n <= 4) return 1; /* shorthand (huo, ivab): the name lists hold the short names */
    /* a misspelt place after a place word: "admit from BALTMORE" */
    if (n >= 6 && i > 0 && (phi_cue(d, i - 1, CUE_CITY_PREPOSITION) || (phi_lex(d, i - 1) & LX_MOVE) || phi_is(d, i - 1, "to") || phi_is(d, i - 1, "at")) &&
        phi_near(d->r, low, n, LX_CITY | LX_REGION | LX_COUNTRY)) return 0;
    return phi_vowelless(low, n) || phi_misspelt(d->r, low, n) || phi_truncated(d->r, low, n, 2) || phi_compound(d->r, low, n) ||
           phi_misspelt_twice(d->r, low, n);
}

/* a number the clinical grammar explains: a unit or '%' after it, a measurement or a
 * count word before it (WBC 12000, 250000 platelets, 100000 units) */
static int phi_clinical_number(const PhiDoc *d, int i) {
    int nx = i + 1;
    if (nx < d->n && !d->t[nx].nl) {
        if (phi_punct(d, nx, '%')) return 1;
        if (phi_word(d, nx) && ((d->t[nx].lex & LX_UNIT) || phi_cue(d, nx, CUE_COUNT_UNIT))) return 1;
        if (phi_punct(d, nx, '/') && phi_word(d, nx + 1) && ((d->t[nx + 1].lex & LX_UNIT) || phi_cue(d, nx + 1, CUE_COUNT_UNIT))) return 1;
    }
    for (int k = i - 1; k >= 0 && k >= i - 3 && !d->t[k + 1].nl; k--) {
        if (d->t[k].kind == TK_PUNCT && (d->t[k].ch == ':' || d->t[k].ch == '=' || d->t[k].ch == '-')) continue;
        return (d->t[k].lex & (LX_NUMCTX | LX_UNIT)) || phi_cue(d, k, CUE_COUNT_WORD);
    }
    return 0;
}

/* Letters and digits mixed: an identifier (A1234567, JD4471, jdoe42) when it holds a
 * run of 4+ digits and is no quantity with its unit (1000mg), or when it has 2+ digits
 * and a run of 3+ letters that is no known word; clinical codes stay (q4h, FiO2, HbA1c,
 * 500x12, G3P2, NOTCH3). */
static int phi_alnum_identifier(const PhiDoc *d, int i) {
    const PhiTok *t = &d->t[i];
    const char *p = d->text + t->b0;
    int n = t->b1 - t->b0, long_digits = 0, unknown = 0, unit_tail = 0, runs = 0;
    for (int k = 0; k < n;) {
        int a = k;
        if (isdigit((unsigned char)p[k])) {
            while (k < n && isdigit((unsigned char)p[k])) k++;
            if (k - a >= 4) long_digits = 1;
            continue;
        }
        char run[64];
        int m = 0;
        while (k < n && !isdigit((unsigned char)p[k])) { if (m < 63) run[m++] = (char)tolower((unsigned char)p[k]); k++; }
        runs++;
        int unit = phi_unit_run(d, run, m);
        for (int cut = 1; cut < m && !unit; cut++) unit = phi_unit_run(d, run, cut) && phi_unit_run(d, run + cut, m - cut); /* 40meqiv */
        if (k == n && a > 0 && unit) unit_tail = 1;
        if (m >= 3 && !unit && !phi_known_text(d->r, run, m)) unknown = 1;
    }
    if (long_digits) return !(unit_tail && runs == 1);
    return unknown && t->ndig >= 2;
}

/* After the fail-closed layer, in mixed text: a capital initial between two masked
 * capitalised words is a middle initial (Szabina J Gelencsér, Ravil G. Yefimov), and a
 * capitalised word right after "Name I." is the surname (Jaroslava P. Sedláčková): the
 * first and last names are masked, so the initial would tell what they were. */
static int phi_masked_name_word(const PhiDoc *d, int k) {
    return phi_word(d, k) && phi_cap(&d->t[k]) && (phi_is_name_type(d->type[k]) || d->type[k] == PT_OTHER);
}
static void phi_initials_between_names(PhiDoc *d) {
    if (!d->mixed) return;
    for (int i = 1; i + 1 < d->n; i++) {
        if (!phi_free(d, i) || !phi_initial(d, i) || d->t[i].shape != SH_UPPER || phi_is(d, i, "i") || d->t[i].nl) continue;
        if (!phi_masked_name_word(d, i - 1)) continue;
        int j = i + 1;
        if (phi_punct(d, j, '.') && phi_tight(d, j)) j++;
        if (j >= d->n || d->t[j].nl || !phi_word(d, j) || d->t[j].shape != SH_TITLE) continue;
        int type = phi_is_name_type(d->type[i - 1]) ? d->type[i - 1] : PT_NAME;
        if (phi_free(d, j)) {
            if (d->t[j].lex & (LX_STOP | LX_TITLE | LX_MONTH | LX_WEEKDAY | LX_HOSPWORD | LX_STREET | LX_CRED)) continue;
            phi_mark(d, j, j, type, "rule:middle-initial", i - 1);
        } else if (!phi_masked_name_word(d, j)) continue;
        phi_mark(d, i, j - 1, type, "rule:middle-initial", i - 1);
    }
}

/* An initial and its '.' right before a masked name are that name's: "BY J.
 * TRAN-OKAFOR, MLS" (the surname masked by the fail-closed layer, the initial no rule
 * took). Only a capital letter with a tight '.', before a word masked as a person, or
 * before words the fail-closed layer masked when a role word (by, per) stands before or
 * a credential after them: then they are a person's name. */
static void phi_initial_before_name(PhiDoc *d) {
    for (int i = 0; i + 2 < d->n; i++) {
        if (!phi_free(d, i) || !phi_initial(d, i) || d->t[i].shape != SH_UPPER || d->t[i + 1].nl || d->t[i + 2].nl) continue;
        if (!phi_punct(d, i + 1, '.') || !phi_tight(d, i + 1) || !phi_free(d, i + 1)) continue;
        int type = d->type[i + 2], n = i + 2;
        if (!phi_word(d, n) || !(phi_cap(&d->t[n]) || phi_initial(d, n))) continue; /* M. K. ABERCROMBIE */
        if (type == PT_OTHER) { /* a word no list knows: a person's when a role word or a credential says so */
            while (n + 1 < d->n && d->type[n + 1] == PT_OTHER && !d->t[n + 1].nl) n++;
            int c = phi_punct(d, n + 1, ',') ? n + 2 : n + 1;
            int cred = c < d->n && !d->t[c].nl && phi_word(d, c) && (d->t[c].lex & LX_CRED);
            int role = i > 0 && !d->t[i].nl && phi_word(d, i - 1) && (d->t[i - 1].lex & (LX_ROLE | LX_ROLEWEAK));
            if (!cred && !role) continue;
            type = cred ? PT_DOCTOR : PT_NAME;
            for (int k = i + 2; k <= n; k++) d->type[k] = (uint8_t)type;
        }
        if (!phi_is_name_type(type)) continue;
        phi_mark(d, i, i + 1, type, "rule:middle-initial", -1);
    }
}

/* A list of names: "They had 6: Efimiya, Mary, Ariana, Isabel and Teresa". In a run of
 * single capitalised words joined by commas and "and"/"or" on one line, when two or more
 * are masked names, the listed first names among the rest are names too. */
static void phi_names_in_lists(PhiDoc *d) {
    if (!d->mixed) return;
    for (int a = 0; a < d->n; a++) {
        if (!phi_word(d, a) || !phi_cap(&d->t[a])) continue;
        int items[16], n = 0, masked = 0, k = a;
        for (;;) {
            if (!phi_word(d, k) || !phi_cap(&d->t[k]) || n == 16) break;
            if (k + 1 < d->n && phi_word(d, k + 1) && !d->t[k + 1].nl && phi_cap(&d->t[k + 1])) break; /* two-word items: not this list */
            items[n++] = k;
            masked += phi_masked_name_word(d, k);
            int j = k + 1;
            if (phi_punct(d, j, ',')) j++;
            if (phi_is(d, j, "and") || phi_is(d, j, "or")) j++;
            if (j == k + 1 || j >= d->n || d->t[j].nl) break;
            k = j;
        }
        if (n >= 3 && masked >= 2)
            for (int m = 0; m < n; m++) {
                int t = items[m];
                if (phi_free(d, t) && (d->t[t].lex & LX_FIRST) && !(d->t[t].lex & (LX_STOP | LX_MONTH | LX_WEEKDAY | LX_TITLE)))
                    phi_mark(d, t, t, PT_NAME, "rule:name-list", items[0]);
            }
        if (n > 1) a = items[n - 1];
    }
}

/* A capitalised word that starts a sentence and that no vocabulary knows, before a verb
 * whose subject is a person ("Irenka is very reliable.", "Quionia reports less pain"):
 * a name, though a capital that only starts the sentence is otherwise given the benefit
 * of the doubt (a misspelt word: "Recieved 2 units"). */
static int phi_unknown_subject(const PhiDoc *d, int i) {
    const PhiTok *t = &d->t[i];
    if (!d->mixed || t->shape != SH_TITLE || t->nalpha < 3 || !phi_sentence_start(d, i) || (t->lex & LX_KNOWN) || t->cue >= 0) return 0;
    if (i + 1 >= d->n || d->t[i + 1].nl || !phi_cue(d, i + 1, CUE_PERSON_VERB)) return 0;
    char low[64];
    int n = t->b1 - t->b0;
    if (n >= (int)sizeof low) return 0;
    n = phi_fold(d->text + t->b0, n, low, sizeof low);
    return n > 0 && !phi_known_text(d->r, low, n) && !phi_known_affixed(d->r, low, n);
}

static void phi_rule_fail_closed(PhiDoc *d) {
    if (!d->r->fail_closed) return;
    for (int i = 0; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i) || t->kind == TK_PUNCT) continue;
        if (t->kind == TK_WORD) {
            if (phi_unknown_subject(d, i)) { phi_mark(d, i, i, PT_NAME, "rule:fail-closed", -1); continue; }
            if (phi_known_word(d, i)) continue;
            phi_mark(d, i, i, (t->lex & (LX_FIRST | LX_LAST)) ? PT_NAME : PT_OTHER, "rule:fail-closed", -1);
        } else if (t->kind == TK_NUM) {
            if (t->ndig < 5 || phi_clinical_number(d, i)) continue;
            phi_mark(d, i, i, PT_ID, "rule:fail-closed-number", -1);
        } else if (phi_alnum_identifier(d, i)) {
            phi_mark(d, i, i, PT_ID, "rule:fail-closed-number", -1);
        }
    }
    phi_initials_between_names(d);
    phi_initial_before_name(d);
    phi_names_in_lists(d);
    phi_heads_after_names(d);
}

/* After the names are known: a nickname in quotes beside a masked name or after a
 * relation word (Beauregard "Bo" Tillman, Stanley Pickering ("Stan"), Friend "Lucky"):
 * one capitalised word between two tight quotes. It gets the name's type. */
static int phi_quote(const PhiDoc *d, int i) { return phi_punct(d, i, '"') || phi_punct(d, i, '\''); }
static void phi_nicknames(PhiDoc *d) {
    for (int i = 1; i + 1 < d->n; i++) {
        if (!phi_free(d, i) || !phi_word(d, i) || !phi_cap(&d->t[i]) || d->t[i].nl) continue;
        if (!phi_quote(d, i - 1) || !phi_tight(d, i) || !phi_quote(d, i + 1) || !phi_tight(d, i + 1)) continue;
        if (d->t[i].lex & (LX_STOP | LX_TITLE | LX_MONTH | LX_WEEKDAY)) continue;
        int before = i - 2, after = i + 2;
        if (phi_punct(d, before, '(') && !d->t[i - 1].nl) before--;
        int type = 0, trig = -1;
        if (before >= 0 && !d->t[i - 1].nl && phi_is_name_type(d->type[before])) type = d->type[before];
        else if (after < d->n && !d->t[after].nl && phi_is_name_type(d->type[after])) type = d->type[after];
        else if (before >= 0 && !d->t[i - 1].nl && (d->t[before].lex & LX_RELATION)) type = PT_RELATIVE, trig = before;
        if (type) phi_mark(d, i, i, type, "rule:nickname", trig);
    }
}

/* After the names are known: an age over 89 written beside a masked name, as care-home
 * and ward lists write it ("his wife Jean (90)", "Joyce Adeyemi-Hart, 94."). A nickname
 * or a quote may stand between them. */
static void phi_ages_after_names(PhiDoc *d) {
    for (int i = 2; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i) || t->kind != TK_NUM || t->ndig > 3 || t->val < 90 || t->val >= 130 || t->nl) continue;
        int paren = phi_punct(d, i - 1, '('), comma = phi_punct(d, i - 1, ',');
        if (!paren && !comma) continue;
        int k = i - 2; /* back over the quotes and brackets of a nickname to the name's last word */
        while (k >= 0 && k > i - 6 && !d->t[k + 1].nl && d->t[k].kind == TK_PUNCT && strchr("()\"'", d->t[k].ch)) k--;
        if (k < 0 || d->t[k + 1].nl || !phi_is_name_type(d->type[k]) || d->t[k].kind == TK_PUNCT) continue;
        int j = i + 1; /* what follows: the ')' or the end of the clause, not a unit */
        if (paren ? !phi_punct(d, j, ')') : !(j >= d->n || d->t[j].nl || (d->t[j].kind == TK_PUNCT && strchr(".,;:)", d->t[j].ch)))) continue;
        phi_mark(d, i, i, PT_AGE, "rule:age-after-name", -1);
    }
}

/* Typists' initials: a transcription line ends in the typist's initials after the date
 * or time it was typed ("Typed: 6/10/2023 hk", "T: 12/02/2023 18:05 ljk"). Two or three
 * small letters that no vocabulary knows (am, pm, hrs are known), last on a line, right
 * after a masked date or a time. */
static void phi_typist_initials(PhiDoc *d) {
    for (int i = 1; i < d->n; i++) {
        const PhiTok *t = &d->t[i];
        if (!phi_free(d, i) || !phi_word(d, i) || t->shape != SH_LOWER || t->nalpha < 2 || t->nalpha > 3 || t->nl) continue;
        if (i + 1 < d->n && !d->t[i + 1].nl) continue;
        int p = i - 1, time = phi_num(d, p) && phi_punct(d, p - 1, ':') && phi_tight(d, p) && phi_num(d, p - 2);
        if (!(d->type[p] == PT_DATE || time)) continue;
        char low[4];
        for (int k = 0; k < t->nalpha; k++) low[k] = d->text[t->b0 + k];
        if (phi_known_text(d->r, low, t->nalpha) || t->cue >= 0) continue;
        phi_mark(d, i, i, PT_DOCTOR, "rule:typist-initials", -1);
    }
}

/* Labels are letter structure, never PHI: a field label (data/phi_labels.txt) of a name,
 * a date or an identifier, whose value is masked, keeps its words out of the PHI spans
 * where a rule's span swallowed it ("Aisling McCready   CHI: 101", "Martina   ODP: ...",
 * "Date of birth: ..."). The label becomes a protected LABEL span, so `sr generate` keeps
 * it too. Not after a title (Dr Ward 5 is a name). */
static int phi_masked_phi(const PhiDoc *d, int k) { return k >= 0 && k < d->n && d->type[k] && d->type[k] < PT_COUNT; }
/* a label's value: right after the label and its ':' '#' '.' (and a '(' for a telephone's
 * area code), on its line; -1 when none */
static int phi_label_value_after(const PhiDoc *d, int e) {
    int v = e + 1;
    while (v < d->n && !d->t[v].nl && d->t[v].kind == TK_PUNCT && strchr(".:#(", d->t[v].ch)) v++;
    return v < d->n && !d->t[v].nl && d->t[v].kind != TK_PUNCT ? v : -1;
}
static void phi_keep_label(PhiDoc *d, int i, int v) {
    for (int k = i; k < v; k++) {
        if (d->t[k].kind == TK_PUNCT && d->t[k].ch == '(') break;
        d->type[k] = PT_LABEL;
        d->src[k] = "rule:labelled-field";
        d->trig[k] = -1;
    }
}
/* token i starts a field: a line, a gap, or after ',' ';' '|' */
static int phi_field_start(const PhiDoc *d, int i) {
    return i == 0 || d->t[i].nl || phi_gap_before(d, i) || phi_punct(d, i - 1, ',') || phi_punct(d, i - 1, ';') ||
           phi_punct(d, i - 1, '|');
}
static void phi_release_labels(PhiDoc *d) {
    for (int i = 0; i < d->n; i++) {
        int e, li = phi_label_at(d, i, &e);
        if (li < 0 || d->type[i] == PT_LABEL || (i > 0 && !d->t[i].nl && !d->t[i].sp)) continue;
        int masked = 0, unmasked = 0;
        for (int k = i; k <= e; k++) masked |= phi_masked_phi(d, k), unmasked |= !d->type[k];
        int v = phi_label_value_after(d, e);
        if (v < 0) continue;
        /* a label no rule masked, before a masked value or a number ("Ph (02) 5550 3187",
         * "lot ENV-23-07744", "Billing no. 041772"): kept, never resampled */
        if (!masked && unmasked) {
            /* where a field starts, or before ':' '#' ("seen on 3/4" in a sentence is prose) */
            int field = phi_field_start(d, i) || phi_punct(d, i - 1, '(') || phi_punct(d, e + 1, ':') || phi_punct(d, e + 1, '#');
            if (field && (phi_masked_phi(d, v) || d->t[v].ndig > 0)) phi_keep_label(d, i, v);
            i = v - 1;
            continue;
        }
        if (!masked || !phi_masked_phi(d, v) || phi_punct(d, v - 1, '(')) continue;
        /* a swallowed label: labels of places, facilities and telephones can be their
         * value's own head word (Suite 300, Riverside Hospital, St Brigid's Ward, 0143 ext.
         * 210): they stay */
        int lt = d->r->label[li].type;
        if (!(phi_label_group(lt) == LV_ID || phi_label_group(lt) == LV_NAME || phi_label_group(lt) == LV_DATE)) continue;
        if (!phi_field_start(d, i)) continue; /* not inside a name: St Columba's Hospital NHS Foundation Trust */
        if (i > 0 && !d->t[i].nl && (d->t[i - 1].lex & LX_TITLE)) continue;
        if (i > 1 && !d->t[i].nl && phi_punct(d, i - 1, '.') && (d->t[i - 2].lex & LX_TITLE)) continue;
        phi_keep_label(d, i, v);
        i = v - 1;
    }
}

/* After the streets are known: an address line is written in parts between commas, and a
 * part no rule understood belongs to the address when its neighbour on the line is a
 * street part:
 *   a building's or a house's name first on the line ("Rose Cottage, 14 Barrow Hill
 *   Lane", "The Old Forge, 2 Chapel Fold"): capitalised words ending in a building word;
 *   a short part between two street parts ("Plot 17, Survey No. 44/2, Link Road"), and
 *   a numbered part before one ("Door No. 12, Ward No. 6, Gandhi Bazaar Road");
 *   a street named without a number beside a street part, a town or a facility
 *   ("..., Mangalmurti Complex, ITI Road, Aundh", "Cois Medical Centre, Main Street,").
 * Only in mixed text, where capitals show the parts are names; the words of a part may
 * have been masked already as names by the name lists (Cottage, Forge): they become
 * the street's. */
typedef struct { int a, b, words, street, place, free, cap_ok, building, street_end, numbered; } PhiAddrPart;
static void phi_addr_part(const PhiDoc *d, int a, int b, PhiAddrPart *p) {
    memset(p, 0, sizeof *p);
    p->a = a, p->b = b, p->cap_ok = 1;
    int last_word = -1;
    for (int k = a; k <= b; k++) {
        const PhiTok *t = &d->t[k];
        int ty = d->type[k];
        if (ty == PT_STREET) p->street = 1;
        else if (phi_location_type(ty) || ty == PT_HOSPITAL || ty == PT_ORGANIZATION) p->place = 1;
        else if (!ty) p->free += t->kind != TK_PUNCT;
        else if (ty != PT_NAME && ty != PT_OTHER) p->cap_ok = 0; /* a date, a telephone, a label: no address part
                                                                    (a listed name may be: Rose Cottage) */
        if (t->kind == TK_PUNCT) { if (!strchr(".-'/", t->ch)) p->cap_ok = 0; continue; }
        p->words++;
        last_word = k;
        if (t->kind != TK_WORD) continue;
        int lead_the = k == a && phi_is(d, k, "the");
        int numbered = phi_num(d, k + 1) || (phi_punct(d, k + 1, '.') && phi_num(d, k + 2)); /* Survey No. 44/2 */
        if (!lead_the && !(numbered && phi_cap(t)) && (!phi_cap(t) || (t->lex & (LX_STOP | LX_TITLE | LX_MONTH | LX_WEEKDAY | LX_CRED))) &&
            !phi_cue(d, k, CUE_STREET_PARTICLE))
            p->cap_ok = 0;
    }
    if (last_word >= 0) {
        p->building = phi_cue(d, last_word, CUE_BUILDING_WORD) && p->words >= 2;
        p->street_end = phi_street_word(d, last_word) && !phi_cue(d, last_word, CUE_STREET_WORD_AMBIGUOUS) && p->words >= 2;
        p->numbered = phi_num(d, last_word) && p->words >= 2 && p->words <= 4 && d->t[a].kind == TK_WORD;
    }
}
static void phi_address_parts(PhiDoc *d) {
    if (!d->mixed) return;
    for (int s = 0; s < d->n;) {
        int e = s; /* the line is tokens s..e */
        while (e + 1 < d->n && !d->t[e + 1].nl) e++;
        PhiAddrPart part[12];
        int np = 0, a = s;
        for (int k = s; k <= e + 1 && np < 12; k++) {
            if (k <= e && !phi_punct(d, k, ',')) continue;
            if (k > a) phi_addr_part(d, a, k - 1, &part[np++]);
            a = k + 1;
        }
        for (int changed = 1, rounds = 0; changed && rounds < 3; rounds++) {
            changed = 0;
            for (int q = 0; q < np; q++) {
                PhiAddrPart *p = &part[q];
                if ((p->street && !(q > 0 && q + 1 < np)) || !p->cap_ok || !p->free || p->words > 5) continue;
                int left = q > 0 && part[q - 1].street, right = q + 1 < np && part[q + 1].street;
                int beside_place = (q > 0 && part[q - 1].place) || (q + 1 < np && part[q + 1].place);
                int take = ((q == 0 || left) && right && (p->building || p->numbered)) || (left && right) ||
                           (p->street_end && (left || right || beside_place));
                if (!take) continue;
                for (int k = p->a; k <= p->b; k++)
                    if (!d->type[k] || d->type[k] == PT_NAME || d->type[k] == PT_OTHER) {
                        d->type[k] = PT_STREET;
                        d->src[k] = "rule:address-part";
                        d->trig[k] = -1;
                    }
                p->street = 1;
                changed = 1;
            }
        }
        s = e + 1;
    }
}

/* the last rules: what the names and dates found so far show beside them, the parts of
 * address lines, and the labels the spans must not swallow */
static void phi_rule_beside_names(PhiDoc *d) {
    phi_nicknames(d);
    phi_ages_after_names(d);
    phi_typist_initials(d);
    phi_address_parts(d);
    phi_release_labels(d);
}

/* ---- the table of rules ---- */

/* Every rule, in the order they run: most specific first, since a token keeps the
 * first type it gets. A row with a function runs it; rows without one name the further
 * sources that the function above marks. `source` is what a span carries (JSON
 * "source", --explain), `finds` says what the rule looks for, `why` is the reason
 * --explain prints (it quotes only the context word, never the PHI). */
typedef struct {
    void (*run)(PhiDoc *d);
    const char *source, *finds, *why;
} PhiRule;
static const PhiRule phi_rules[] = {
    {phi_rule_chunks, "rule:email", "e-mail addresses, web addresses and IP addresses, found as whole chunks of text",
     "an e-mail address"},
    {NULL, "rule:url", NULL,
     "a web address"},
    {NULL, "rule:timestamp", NULL, "an ISO 8601 date and time"},
    {NULL, "rule:handle", NULL, "a user's handle (@name)"},
    {NULL, "rule:ip-address", NULL,
     "an IP address"},
    {phi_rule_headers, "rule:header-field", "the value after a Name: / Address: / DOB: / GP: header",
     "the value of a header field"},
    {phi_rule_placeholders, "rule:placeholder", "PHI already replaced by a de-identifier: [** ... **]", "an already masked placeholder [** ... **]"},
    {phi_rule_known, "rule:known-phi", "the record's known PHI strings (known_phi), every occurrence",
     "a string the record says is PHI (known_phi)"},
    {phi_rule_eponyms, "rule:eponym", "names inside eponyms (Hashimoto thyroiditis): claimed as not PHI", ""},
    {phi_rule_labels, "rule:labelled-field", "the value after a field label (data/phi_labels.txt), to the end of the field",
     "the value of a labelled field"},
    {NULL, "rule:register-number", NULL, "a number after a register's acronym and No. (SWRB No. 9174)"},
    {phi_rule_phone_shapes, "rule:phone-shape", "telephone and fax numbers by their shape (US, UK, international)",
     "the shape of a telephone number"},
    {NULL, "rule:ssn-shape", NULL,
     "the shape of a social security number"},
    {NULL, "rule:nhs-number", NULL,
     "a 10-digit number after NHS"},
    {phi_rule_context_numbers, "rule:phone-context", "numbers after a telephone, identifier or '#' word",
     "a number after a telephone/pager word"},
    {NULL, "rule:id-context", NULL,
     "a number after an identifier word"},
    {NULL, "rule:number-sign", NULL,
     "a number after '#'"},
    {phi_rule_numeric_dates, "rule:date-numeric", "numeric dates (3/4/2024, 2024-03-04, 12.03.24), not doses, ratios or vitals",
     "a valid numeric date, not a dose, ratio or vital sign"},
    {NULL, "rule:date-after-context", NULL,
     "a short numeric date after a date word"},
    {phi_rule_odd_dates, "rule:date-numeric", "numeric dates in rarer shapes",
     "a valid numeric date, not a dose, ratio or vital sign"},
    {phi_rule_written_dates, "rule:date-written", "written dates (3 March 2024, Mar 3rd), weekdays and holidays",
     "a written date (month name)"},
    {NULL, "rule:weekday", NULL,
     "a day of the week"},
    {NULL, "rule:holiday", NULL,
     "a holiday (a date element)"},
    {phi_rule_ages, "rule:age-over-89", "ages over 89",
     "an age over 89"},
    {phi_rule_zip, "rule:zip-after-state", "US ZIP codes after a state, UK postcodes, the city before them",
     "a ZIP code after a state"},
    {NULL, "rule:city-before-state", NULL,
     "a city before a state and ZIP"},
    {NULL, "rule:uk-postcode", NULL,
     "the shape of a UK postcode"},
    {phi_rule_streets, "rule:street-address", "street addresses (a house number and a street word) and PO boxes",
     "a house number and a street word"},
    {NULL, "rule:po-box", NULL,
     "a post-office box"},
    {phi_rule_more_streets, "rule:street-line", "street lines: unit prefixes, building names, international street words, named streets",
     "a street line (number, name and street word, or its parts)"},
    {phi_rule_postal, "rule:postcode", "postcodes of Canada, Ireland, Australia, New Zealand, India...; the town, state and country around a postcode",
     "the shape of a postcode at the end of an address line"},
    {NULL, "rule:postal-line", NULL, "a town, state or street on the line of a postcode"},
    {NULL, "rule:city-state", NULL, "a town and a state code (Sacramento, CA)"},
    {phi_rule_address_blocks, "rule:address-line", "the lines of an address block that ends in a postcode",
     "the words of an address line that ends in a postcode"},
    {phi_rule_address_runs, "rule:address-run", "the rest of an address's line: house number, town, state, country, postcode",
     "a house number, town, state, country or postcode on the line of a street"},
    {phi_rule_devotional_hospitals, "rule:devotional-hospital", "devotional hospital names (Holy Cross, Sacred Heart)",
     "a devotional hospital name (Holy Cross, Sacred Heart)"},
    {phi_rule_practices, "rule:practice-name", "GP practice names (the name before Surgery / Health Centre)",
     "the name before Surgery / Family Medicine / Health Centre (extra)"},
    {phi_rule_partial_ids, "rule:partial-id", "the visible digits of a partly hidden identifier (xxx-xx-4471, **** **** 0093)",
     "the visible digits of a partly hidden identifier"},
    {phi_rule_id_shapes, "rule:id-shape", "codes of letters and digits joined by - / _ . (V2231-0457, SMH/2023/004417); user names with _",
     "the shape of an identifier (letters and digits joined by - / .)"},
    {NULL, "rule:username-shape", NULL, "the shape of a user name (words joined by _)"},
    {phi_rule_usernames, "rule:username-cue", "user names after login / account / by", "a user name after a login or account word"},
    {phi_rule_long_numbers, "rule:long-number", "long numbers (7+ digits, or 5+ digits with letters)",
     "a long number (7+ digits, or 5+ digits with letters)"},
    {phi_rule_age_subject, "rule:age-subject", "the subject of 'is a NN-year-old' (the patient)",
     "the capitalised subject of 'is a NN-year-old' (the patient)"},
    {phi_rule_name_cues, "rule:name-cue", "names after hand-over and naming phrases (message for, name is)",
     "a listed name after 'message for', 'report to', 'name is'"},
    {phi_rule_titles, "rule:title", "names after a title (Dr, Mrs, Prof)",
     "a name after a title"},
    {phi_rule_credentials, "rule:credential", "names before a credential (RN, MD)",
     "a name before a professional credential"},
    {phi_rule_relatives, "rule:relative", "relatives' names beside a relation word",
     "a name beside a family/relation word"},
    {phi_rule_roles, "rule:clinician-role", "clinicians' names after a role word",
     "a name after a clinician's role word"},
    {phi_rule_initial_name, "rule:initial-name", "an initial and a listed name",
     "an initial and a listed name"},
    {phi_rule_name_from_department, "rule:name-from-department", "a name before 'from' + a department",
     "a name before 'from' + a department (from case management)"},
    {phi_rule_name_before_phone, "rule:name-before-phone", "a name right before a telephone word",
     "a name right before a telephone word"},
    {phi_rule_aware, "rule:told-name", "a listed name before aware / notified / paged",
     "a listed name before aware/notified/paged"},
    {phi_rule_signature_line, "rule:signature-line", "a name alone on the last line (a signature)",
     "a name alone on the last line (a signature)"},
    {phi_rule_family_name, "rule:family-name", "a listed surname before 'family'",
     "a listed surname before 'family'"},
    {phi_rule_facility_names, "rule:facility-name", "facilities and organisations named by their head noun (Riverside General Hospital, Acme Plumbing Ltd)",
     "a name before a facility's or an organisation's head noun (extra)"},
    {phi_rule_hospitals, "rule:hospital-name", "hospital names (the words before a hospital word)",
     "the name before a hospital word (extra)"},
    {phi_rule_saints, "rule:saint-name", "saints' names (hospitals)",
     "a saint's name (a hospital)"},
    {phi_rule_university, "rule:university", "university (hospital) names",
     "a university (hospital) name"},
    {phi_rule_places, "rule:place-after-movement", "places after movement and residence words; listed US cities",
     "a place after transferred/admitted/sent to or from"},
    {NULL, "rule:place-of-residence", NULL,
     "a place after lives/resides in"},
    {NULL, "rule:city-lexicon", NULL,
     "a US city (ZIP database) after in/from/of or before a state"},
    {phi_rule_state_after_town, "rule:state-after-town", "a state code after a town and a comma", "a state code after a town"},
    {phi_rule_unit_names, "rule:unit-name", "unit and ward names; a hospital before ER",
     "an unknown word before a small number (a ward or unit name)"},
    {NULL, "rule:hospital-before-er", NULL,
     "a name before ER/EW after to/from/at"},
    {phi_rule_hospital_acronyms, "rule:hospital-acronym", "hospital-like acronyms (..H, ..MC) after at/to/from",
     "a hospital-like acronym (..H, ..MC) after at/to/from/by or before ER"},
    {phi_rule_place_shapes, "rule:place-area", "places before area / county",
     "a place name before area/county after in/from"},
    {phi_rule_clinician_from, "rule:clinician-from", "a capitalised place after a clinician + from",
     "a capitalised place after a clinician + from (surgeon from X)"},
    {phi_rule_named_houses, "rule:named-house", "residences: a surname before House / Manor / Lodge",
     "a surname before House / Manor / Lodge (a residence)"},
    {phi_rule_employer, "rule:employer", "employers after CEO of / works for / employed by",
     "an employer after CEO of / works for / employed by"},
    {phi_rule_wards, "rule:ward-room", "ward, room and bed numbers",
     "a ward, room or bed number (extra)"},
    {phi_rule_facility_heads, "rule:facility-head", "the head nouns after a facility's or organisation's name (Medical Center, NHS Foundation Trust)",
     "a head noun of a facility's name (Medical Center)"},
    {phi_rule_caps_names, "rule:caps-name", "an initial and a surname in capitals (D WHITTAKER) in mixed text", "an initial and a surname in capitals"},
    {phi_rule_regions, "rule:region", "states, provinces and counties by name after a place word or a town", "a state, province or county after a place word or a town"},
    {phi_rule_town_after_hospital, "rule:town-after-hospital", "a town after a hospital's name and a comma", "a town after a hospital's name"},
    {phi_rule_vehicles, "rule:vehicle-plate", "number plates (UK shape; after car/vehicle/plate)", "the shape of a number plate"},
    {NULL, "rule:vehicle-cue", NULL, "a number plate after a vehicle word"},
    {phi_rule_country_codes, "rule:country-code", "a country's code after in/from/to the (in the US)", "a country's code after a place word"},
    {phi_rule_countries, "rule:country", "countries by name, capitalised, in mixed text", "a country's name"},
    {phi_rule_country_lines, "rule:country-line", "a country alone on its line, or before a postcode (the end of an address)",
     "a country that ends an address"},
    {phi_rule_military_address, "rule:military-address", "US military addresses (PSC 0413, Box 8144, APO AA 42323)", "a military postal address"},
    {phi_rule_call_numbers, "rule:call-number", "numbers after call / text / ring (call me at 0494 92 82 32)", "a number to call"},
    {phi_rule_landmarks, "rule:landmark", "landmarks: capitalised names before Cemetery, Bridge, Park...", "a landmark's name"},
    {phi_rule_same_name, "rule:same-name", "every other occurrence of a word called a name",
     "the same word was called a name elsewhere in the text"},
    {phi_rule_lexicon_names, "lexicon:firstnames", "listed names that are not ordinary words; name pairs",
     "in the first-name list and not in the safe word list"},
    {NULL, "lexicon:surnames", NULL,
     "in the surname list and not in the safe word list"},
    {NULL, "lexicon:site", NULL,
     "in a site lexicon (--lexicon)"},
    {NULL, "rule:name-pair", NULL,
     "a listed first name and a surname or unknown word after it"},
    {NULL, "rule:name-in-brackets", NULL,
     "a listed first name alone in brackets"},
    {phi_rule_name_neighbours, "rule:name-neighbour", "name-like words next to a name",
     "a name-like word next to a name"},
    {phi_rule_years, "rule:year", "years alone, abbreviated years, decades, years of birth",
     "a year (masked as an extra)"},
    {NULL, "rule:year-apostrophe", NULL,
     "an abbreviated year like '92 (masked as an extra)"},
    {NULL, "rule:year-decade", NULL,
     "a decade like 1980s (masked as an extra)"},
    {NULL, "rule:year-of-birth", NULL,
     "a year tied to birth"},
    {NULL, "rule:year-in-history", NULL,
     "a two-digit year after a procedure in a past-history list (extra)"},
    {phi_rule_professions, "lexicon:professions", "occupations",
     "an occupation (extra)"},
    {phi_rule_fail_closed, "rule:fail-closed", "last: every word no rule decided that no safe vocabulary knows",
     "no rule understood this word and no safe vocabulary knows it (fail-closed)"},
    {NULL, "rule:fail-closed-number", NULL,
     "a long number or code that no clinical grammar explains (fail-closed)"},
    {NULL, "rule:middle-initial", NULL, "an initial between masked names or before one, and the surname after 'Name I.'"},
    {NULL, "rule:name-list", NULL, "a listed first name in a list of names"},
    {phi_rule_beside_names, "rule:nickname", "after every other rule: nicknames in quotes and ages over 89 beside a masked name, typists' initials, the parts of address lines; labels cut out of PHI spans and kept",
     "a nickname in quotes beside a name or a relation word"},
    {NULL, "rule:age-after-name", NULL, "an age over 89 beside a name"},
    {NULL, "rule:typist-initials", NULL, "a typist's initials after the date a letter was typed"},
    {NULL, "rule:address-part", NULL, "a part of an address line beside its street (a house's name, a street without a number)"},
};

/* Turn marked tokens into spans: neighbours of one type on one line join (a name's
 * space, a date's '/'). */
static void phi_emit(const PhiDoc *d, SrSpans *out) {
    int i = 0;
    while (i < d->n) {
        if (!d->type[i] || d->type[i] >= PT_COUNT || (!d->r->extras && phi_type_is_extra(d->type[i]))) { i++; continue; }
        int j = i;
        while (j + 1 < d->n && d->type[j + 1] == d->type[i] && !d->t[j + 1].nl) j++;
        int run_end = j; /* the run's tokens: punctuation trimmed below is skipped, not emitted alone */
        /* trailing punctuation is not part of the identifier, except an initial's '.' (and a
         * placeholder's "**]") */
        int whole = d->src[i] && !strcmp(d->src[i], "rule:placeholder");
        while (!whole && j > i && d->t[j].kind == TK_PUNCT && !(d->t[j].ch == '.' && phi_initial(d, j - 1)) && d->t[j].ch != ')') j--;
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
        /* the context word that triggered the rule, for --explain and "source"; never a
         * word that is itself masked (middle-initial and age-after-name rules are triggered
         * by the name beside them: quoting it would write the PHI out) */
        int tg = d->trig[i];
        if (tg >= 0 && tg < d->n && !d->type[tg] && d->t[tg].b1 - d->t[tg].b0 < 24) {
            char w[32];
            int n = d->t[tg].b1 - d->t[tg].b0;
            for (int k = 0; k < n; k++) w[k] = (char)tolower((unsigned char)d->text[d->t[tg].b0 + k]);
            w[n] = 0;
            snprintf(s->source, sizeof s->source, "%s/%s", d->src[i], w);
        } else {
            snprintf(s->source, sizeof s->source, "%s", d->src[i]);
        }
        s->score = 1.0f;
        i = run_end + 1;
    }
}

/* One document: open cuts it into tokens (with their lexicon entries when r is given),
 * find runs the rules and appends their spans, words makes the Masker's words of the
 * same tokens, close frees. */
static int phi_doc_open(PhiDoc *d, const SrPhiRules *r, const char *text, size_t len, char *err) {
    memset(d, 0, sizeof *d);
    if (len > 0x7fffffff) return sr_fail(err, "text too long (%zu bytes)", len);
    d->r = r;
    d->text = text;
    d->len = len;
    if (phi_tokenize(d, err) < 0) { free(d->t); d->t = NULL; return -1; }
    return 0;
}

static void phi_doc_find(PhiDoc *d, SrSpans *out) {
    d->type = xcalloc((size_t)d->n + 1, 1);
    d->src = xcalloc((size_t)d->n + 1, sizeof *d->src);
    d->trig = xmalloc(((size_t)d->n + 1) * sizeof *d->trig);
    for (int i = 0; i < d->n; i++) d->trig[i] = -1;
    for (size_t k = 0; k < sizeof phi_rules / sizeof phi_rules[0]; k++)
        if (phi_rules[k].run) phi_rules[k].run(d);
    phi_emit(d, out);
}

/* token i is one joiner character (' U+2019 - U+2010 U+2011) */
static int phi_joiner_tok(const PhiDoc *d, int i) {
    if (d->t[i].kind != TK_PUNCT) return 0;
    size_t k = (size_t)d->t[i].b0;
    return joiner_cp(utf8_decode((const unsigned char *)d->text, d->len, &k));
}

/* tokens joined by a tight joiner between word tokens */
static int phi_doc_words(const PhiDoc *d, Word **words, int *cap) {
    int n = 0;
    for (int i = 0; i < d->n;) {
        if (d->t[i].kind == TK_PUNCT) { i++; continue; }
        Word w = {d->t[i].b0, d->t[i].b1, d->t[i].c0, d->t[i].c1};
        int j = i + 1;
        while (j + 1 < d->n && !d->t[j].sp && !d->t[j + 1].sp && d->t[j + 1].kind != TK_PUNCT && phi_joiner_tok(d, j)) {
            w.b1 = d->t[j + 1].b1;
            w.c1 = d->t[j + 1].c1;
            j += 2;
        }
        *words = grow(*words, cap, n + 1, sizeof **words);
        (*words)[n++] = w;
        i = j;
    }
    return n;
}

/* The field labels the rules kept (before a PHI value), as spans. */
static void phi_doc_labels(const PhiDoc *d, SrSpans *out) {
    for (int i = 0; i < d->n; i++) {
        if (d->type[i] != PT_LABEL) continue;
        int j = i;
        while (j + 1 < d->n && d->type[j + 1] == PT_LABEL) j++;
        out->span = grow(out->span, &out->cap, out->n + 1, sizeof *out->span);
        SrSpan *s = &out->span[out->n++];
        memset(s, 0, sizeof *s);
        s->byte_start = d->t[i].b0; s->byte_end = d->t[j].b1;
        s->cp_start = d->t[i].c0; s->cp_end = d->t[j].c1;
        s->action = SR_ACT_PROTECT;
        snprintf(s->category, sizeof s->category, "LABEL");
        snprintf(s->source, sizeof s->source, "rule:labelled-field");
        s->score = 1;
        i = j;
    }
}

static void phi_doc_close(PhiDoc *d) {
    free(d->t);
    free(d->type);
    free(d->src);
    free(d->trig);
    memset(d, 0, sizeof *d);
}

int sr_phi_find(const SrPhiRules *r, const char *text, size_t len, SrSpans *out, char *err) {
    if (!r) return sr_fail(err, "no PHI rules loaded");
    PhiDoc d;
    if (phi_doc_open(&d, r, text, len, err) < 0) return -1;
    phi_doc_find(&d, out);
    phi_doc_close(&d);
    return 0;
}

/* The words of a text without the rules (phrase lists split their entries so). */
static int text_words(const char *text, size_t len, Word **words, int *cap, char *err) {
    PhiDoc d;
    if (phi_doc_open(&d, NULL, text, len, err) < 0) return -1;
    int n = phi_doc_words(&d, words, cap);
    phi_doc_close(&d);
    return n;
}

/* ---- sr deid ---- */

/* Why a rule fired, in words, for --explain. Quotes only the context word (Dr, wife,
 * MRN), never the PHI itself. */
static const char *phi_reason(const char *source) {
    size_t n = strcspn(source, "/");
    for (size_t k = 0; k < sizeof phi_rules / sizeof phi_rules[0]; k++)
        if (strlen(phi_rules[k].source) == n && !strncmp(phi_rules[k].source, source, n)) return phi_rules[k].why;
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

/* The text with each PHI span replaced by its surrogate (sur[k]; NULL: [**TYPE**]) */
static void phi_put_surrogates(FILE *f, const char *text, size_t len, const SrSpans *sp, char *const *sur) {
    size_t pos = 0;
    for (int k = 0; k < sp->n; k++) {
        const SrSpan *s = &sp->span[k];
        if ((size_t)s->byte_start < pos) continue;
        fwrite(text + pos, 1, (size_t)s->byte_start - pos, f);
        if (sur[k]) fputs(sur[k], f);
        else fprintf(f, "[**%s**]", s->category);
        pos = (size_t)s->byte_end;
    }
    fwrite(text + pos, 1, len - pos, f);
}

/* ----------------------------------------------------------- end of the PHI rules */

/* ================================================================================
 * Surrogates: a realistic, typed, format-preserving replacement for each PHI span
 * ================================================================================
 *
 * sr_surrogates_make gives every PHI span of one document a replacement of its type:
 *   names      first names and surnames from data/surrogate_first_names.txt (with gender)
 *              and data/surrogate_surnames.txt, word by word: the title stays outside the
 *              span, initials stay initials (the initial of the surrogate first name that
 *              replaces a first name with that initial), the case pattern of each word
 *              (ALL CAPS, lower, Title) is kept, a hyphenated name stays hyphenated;
 *              the gender comes from the pool when the original first name is in it,
 *              else from a title or relation word just before the name
 *              (data/surrogate_gender_cues.txt);
 *   dates      shifted by one offset of days for the whole document (and, with a key
 *              and a "patient", for every document of that patient): numeric dates in
 *              the letter's own day/month order (phi_date_order), ISO dates, written
 *              months (full, abbreviated, any case), ordinals, partial dates (day and
 *              month, month and year, a month alone: the day 15 is shifted), a weekday
 *              beside the date recomputed; every number keeps its digit count; a year
 *              alone (DATE or YEAR) is the year of its 2 July shifted; intervals between
 *              full dates are exact;
 *   ages       an age over 89 becomes another age from 90 to 104; a younger one stays;
 *   numbers    phones, faxes, MRNs, IDs, ZIPs, SSNs...: digit for digit, letter for
 *              letter (case kept), separators kept, never the original; a phone keeps
 *              its '+' country code, trunk 0 and "(0)"; a 10-digit NHS number gets a
 *              valid mod-11 check digit; a 9-digit SSN starts with 9 (never issued);
 *   e-mail, URL, user name, IP: letter runs that are ordinary words stay, others become
 *              pool names; hosts end in example.com/.org/.net; IPs come from the
 *              documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 *              2001:db8::/32);
 *   places     cities and towns (data/surrogate_towns.txt), states (same form: name or
 *              postal code) and countries (data/surrogate_places.txt); a UK postcode's
 *              area becomes another area of data/surrogate_uk_postcode_areas.txt and a
 *              town written just before it that area's post town; in a street,
 *              hospital, organisation, ward or landmark the head words the PHI rules
 *              know (Road, Court, Hospital, Practice, Ltd, Ward: data/phi_cues.txt) stay
 *              and every other word becomes a street stem (data/surrogate_streets.txt)
 *              or a surname.
 * A span whose type has no surrogate (PROFESSION, OTHER) or that cannot be read (a
 * holiday without a year) gets NULL: sr generate leaves it to the masked LM.
 *
 * Consistency. Every choice is a keyed hash (SipHash-2-4) of the normalised original
 * (lower case): the same original gets the same surrogate wherever it occurs, and a
 * name word gets the same surrogate in every variant ("Marian Lovelace", "Mrs
 * Lovelace", "M. Lovelace", "LOVELACE"); --consistency markov lets each repeat keep
 * the previous surrogate with probability 1/2 only. Nothing is stored: no map of
 * originals is kept, and only --map-out (sg_map_put) writes one. The hash key is, by default, the seed and a hash of the document's text
 * (each document draws fresh surrogates). With --surrogate-key FILE the key is derived
 * from the file alone: every document processed with that key maps an original name
 * to the same surrogate, and the date shift comes from the key and the record's
 * "patient" field (so all documents of one patient share one shift). Whoever holds the
 * key and a list of candidate names can test which surrogate each name gets: the key
 * is a secret as sensitive as the originals. Within a document two originals never
 * share a surrogate and a surrogate never equals an original name word (the next hash
 * attempt is taken), so with a key a rare collision can make one name's surrogate
 * differ between two documents. */

struct SrSurrogates {
    const SrPhiRules *rules; /* the PHI rules' lexicon and cue words (head words to keep) */
    char *buf[7];            /* file contents the pools point into */
    char **first;            /* first names, F ones then M ones */
    int n_first, n_female;
    char **last, **street, **town, **state, **state_code, **country;
    int n_last, n_street, n_town, n_state, n_country;
    char **uk_area, **uk_town; /* UK postcode areas and their post towns */
    int n_uk;
    char **gender_word;      /* words before a name that give its gender */
    char *gender_of;
    int n_gender;
    uint64_t key[2];
    int has_key;
};

/* ---- SipHash-2-4 (Aumasson and Bernstein): a keyed hash of a byte string ---- */

#define SG_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SG_ROUND(v0, v1, v2, v3) do { \
    v0 += v1; v1 = SG_ROTL(v1, 13); v1 ^= v0; v0 = SG_ROTL(v0, 32); \
    v2 += v3; v3 = SG_ROTL(v3, 16); v3 ^= v2; \
    v0 += v3; v3 = SG_ROTL(v3, 21); v3 ^= v0; \
    v2 += v1; v1 = SG_ROTL(v1, 17); v1 ^= v2; v2 = SG_ROTL(v2, 32); } while (0)

static uint64_t sg_siphash(const uint64_t k[2], const unsigned char *m, size_t n) {
    uint64_t v0 = 0x736f6d6570736575ull ^ k[0], v1 = 0x646f72616e646f6dull ^ k[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ k[0], v3 = 0x7465646279746573ull ^ k[1];
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (int b = 0; b < 8; b++) w |= (uint64_t)m[i + b] << (8 * b);
        v3 ^= w; SG_ROUND(v0, v1, v2, v3); SG_ROUND(v0, v1, v2, v3); v0 ^= w;
    }
    uint64_t w = (uint64_t)(n & 0xff) << 56;
    for (int b = 0; i + b < n; b++) w |= (uint64_t)m[i + b] << (8 * b);
    v3 ^= w; SG_ROUND(v0, v1, v2, v3); SG_ROUND(v0, v1, v2, v3); v0 ^= w;
    v2 ^= 0xff;
    for (int r = 0; r < 4; r++) SG_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- pools ---- */

/* One data file's non-comment lines, split at tabs into 1 (f1 NULL), 2 or 3 fields. */
static int sg_load(SrSurrogates *s, int slot, const char *data_dir, const char *name, char ***f0, char ***f1, char ***f2, int *n, char *err) {
    char path[4096];
    if (data_file(data_dir, name, path, sizeof path, err) < 0) return -1;
    size_t len;
    char *b = read_file(path, &len, err);
    if (!b) return -1;
    s->buf[slot] = b;
    int lines = 1, lineno = 0;
    for (size_t i = 0; i < len; i++) lines += b[i] == '\n';
    *f0 = xcalloc((size_t)lines, sizeof **f0);
    if (f1) *f1 = xcalloc((size_t)lines, sizeof **f1);
    if (f2) *f2 = xcalloc((size_t)lines, sizeof **f2);
    *n = 0;
    for (char *p = b; *p;) {
        char *e = strchr(p, '\n');
        if (e) *e = 0;
        lineno++;
        if (*p && *p != '#') {
            char *fld[3] = {p, NULL, NULL};
            for (int k = 1; k < 3; k++) {
                char *t = fld[k - 1] ? strchr(fld[k - 1], '\t') : NULL;
                if (t) { *t = 0; fld[k] = t + 1; }
            }
            if ((f1 && !fld[1]) || !*fld[0]) return sr_fail(err, "%s:%d: expected %s tab-separated fields", path, lineno, f2 ? "3" : "2");
            (*f0)[*n] = fld[0];
            if (f1) (*f1)[*n] = fld[1];
            if (f2) (*f2)[*n] = fld[2] ? fld[2] : (char *)"";
            (*n)++;
        }
        if (!e) break;
        p = e + 1;
    }
    if (*n == 0) return sr_fail(err, "%s: no entries", path);
    return 0;
}

void sr_surrogates_free(SrSurrogates *s) {
    if (!s) return;
    for (int k = 0; k < 7; k++) free(s->buf[k]);
    free(s->first); free(s->last); free(s->street); free(s->town);
    free(s->state); free(s->state_code); free(s->country); free(s->gender_word); free(s->gender_of);
    free(s->uk_area); free(s->uk_town);
    free(s);
}

SrSurrogates *sr_surrogates_new(const char *data_dir, const SrPhiRules *rules, char *err) {
    SrSurrogates *s = xcalloc(1, sizeof *s);
    s->rules = rules;
    char **names = NULL, **gender = NULL, **kind = NULL, **pname = NULL, **pcode = NULL, **gw = NULL, **gg = NULL;
    int n_names = 0, n_places = 0, n_gw = 0;
    int rc = sg_load(s, 0, data_dir, "surrogate_first_names.txt", &names, &gender, NULL, &n_names, err);
    if (rc == 0) rc = sg_load(s, 1, data_dir, "surrogate_surnames.txt", &s->last, NULL, NULL, &s->n_last, err);
    if (rc == 0) rc = sg_load(s, 2, data_dir, "surrogate_streets.txt", &s->street, NULL, NULL, &s->n_street, err);
    if (rc == 0) rc = sg_load(s, 3, data_dir, "surrogate_towns.txt", &s->town, NULL, NULL, &s->n_town, err);
    if (rc == 0) rc = sg_load(s, 4, data_dir, "surrogate_places.txt", &kind, &pname, &pcode, &n_places, err);
    if (rc == 0) rc = sg_load(s, 5, data_dir, "surrogate_gender_cues.txt", &gw, &gg, NULL, &n_gw, err);
    if (rc == 0) rc = sg_load(s, 6, data_dir, "surrogate_uk_postcode_areas.txt", &s->uk_area, &s->uk_town, NULL, &s->n_uk, err);
    if (rc == 0) {
        /* first names: the female ones first, so a gender is a range of the pool */
        s->first = xmalloc((size_t)n_names * sizeof *s->first);
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < n_names; k++)
                if ((gender[k][0] == 'F') == (pass == 0)) s->first[s->n_first++] = names[k];
        for (int k = 0; k < n_names; k++) s->n_female += gender[k][0] == 'F';
        s->state = xmalloc((size_t)n_places * sizeof(char *));
        s->state_code = xmalloc((size_t)n_places * sizeof(char *));
        s->country = xmalloc((size_t)n_places * sizeof(char *));
        for (int k = 0; k < n_places; k++) {
            if (!strcmp(kind[k], "STATE")) { s->state[s->n_state] = pname[k]; s->state_code[s->n_state++] = pcode[k]; }
            else if (!strcmp(kind[k], "COUNTRY")) s->country[s->n_country++] = pname[k];
        }
        s->gender_word = gw; gw = NULL;
        s->gender_of = xmalloc((size_t)n_gw + 1);
        for (int k = 0; k < n_gw; k++) s->gender_of[k] = gg[k][0];
        s->n_gender = n_gw;
        if (!s->n_state || !s->n_country || s->n_female == 0 || s->n_female == s->n_first) rc = sr_fail(err, "surrogate pools: a state, a country and first names of both genders are needed");
    }
    free(names); free(gender); free(kind); free(pname); free(pcode); free(gw); free(gg);
    if (rc < 0) { sr_surrogates_free(s); return NULL; }
    return s;
}

/* The key from a secret file (any bytes; at least 16 random ones are what it needs):
 * two SipHash values of its contents under fixed keys. */
int sr_surrogates_key_file(SrSurrogates *s, const char *path, char *err) {
    size_t len;
    char *b = read_file(path, &len, err);
    if (!b) return -1;
    if (len < 16) { free(b); return sr_fail(err, "%s: a surrogate key needs at least 16 bytes (e.g. head -c 32 /dev/urandom > %s)", path, path); }
    static const uint64_t k0[2] = {0x73722d7375727231ull, 0x6b65792d66696c65ull}, k1[2] = {0x73722d7375727232ull, 0x6b65792d66696c65ull};
    s->key[0] = sg_siphash(k0, (const unsigned char *)b, len);
    s->key[1] = sg_siphash(k1, (const unsigned char *)b, len);
    s->has_key = 1;
    memset(b, 0, len);
    free(b);
    return 0;
}

/* ---- one document ---- */

/* a name word (lower case) and its surrogate; with --consistency markov also a whole
   non-name original: its mentions so far and the mention whose draw it keeps (epoch) */
typedef struct { char *orig, *sur; int role, seen, epoch; } SgWord;
enum { SG_FIRST = 1, SG_LAST = 2 };

typedef struct {
    const SrSurrogates *s;
    const char *text;
    size_t len;
    uint64_t key[2];
    int shift;    /* days */
    int dmy;      /* 1 day first, -1 month first (phi_date_order; unknown: day first) */
    int ref_year; /* year for a date written without one */
    SgWord *w;
    int nw, cap_w;
    int markov;   /* --consistency markov */
    int epoch;    /* != 0: the draws of a fresh surrogate for a repeat (markov) */
    SgWord *seen; /* markov: the non-name originals met so far */
    int n_seen, cap_seen;
    SgWord *city; /* a town written beside a UK postcode (lower case) and its surrogate: the
                     post town of the postcode surrogate's area */
    int n_city, cap_city;
} SgDoc;

static uint64_t sg_hash(const SgDoc *g, const char *tag, const char *s, size_t n, int attempt) {
    char buf[512];
    size_t tl = strlen(tag);
    if (tl + n + 12 > sizeof buf) n = sizeof buf - tl - 12;
    memcpy(buf, tag, tl);
    buf[tl] = 0;
    memcpy(buf + tl + 1, s, n);
    memcpy(buf + tl + 1 + n, &attempt, sizeof attempt);
    size_t bl = tl + 1 + n + sizeof attempt;
    if (g->epoch) { memcpy(buf + bl, &g->epoch, sizeof g->epoch); bl += sizeof g->epoch; } /* epoch 0: the draws as without markov */
    return sg_siphash(g->key, (const unsigned char *)buf, bl);
}

static int sg_alpha(unsigned char c) { return isalpha(c) || c >= 0x80; }

/* Case pattern of a word: 'U' all capitals (two letters or more), 'l' lower, 'T' other. */
static char sg_case_of(const char *p, int n) {
    int up = 0, lo = 0;
    for (int k = 0; k < n; k++) { up += isupper((unsigned char)p[k]) != 0; lo += islower((unsigned char)p[k]) != 0; }
    if (up >= 2 && lo == 0) return 'U';
    if (up == 0 && lo > 0) return 'l';
    return 'T';
}

/* Append word w to the output with case pattern cp. */
static void sg_put_cased(FILE *f, const char *w, char cp) {
    for (int k = 0; w[k]; k++) {
        unsigned char c = (unsigned char)w[k];
        if (cp == 'U') c = (unsigned char)toupper(c);
        else if (cp == 'l') c = (unsigned char)tolower(c);
        else if (cp == 'T' && k == 0) c = (unsigned char)toupper(c);
        fputc(c, f);
    }
}

static void sg_lower(const char *p, int n, char *out, int cap) {
    if (n >= cap) n = cap - 1;
    for (int k = 0; k < n; k++) out[k] = (char)tolower((unsigned char)p[k]);
    out[n] = 0;
}

/* The lexicon flags of a word (lower case), 0 when unknown */
static uint64_t sg_lex(const SgDoc *g, const char *p, int n) {
    if (!g->s->rules) return 0;
    char low[64];
    if (n >= (int)sizeof low) return 0;
    sg_lower(p, n, low, sizeof low);
    const PhiEntry *e = phi_lookup(g->s->rules, low, (size_t)n);
    return e ? e->flags : 0;
}
static int sg_cue(const SgDoc *g, const char *p, int n, int c) { return g->s->rules && phi_cue_text(g->s->rules, p, n, c); }

/* A head word a place, institution or street keeps (Road, Court, Hospital, Ltd, Ward, of) */
static int sg_head_word(const SgDoc *g, const char *p, int n) {
    uint64_t lx = sg_lex(g, p, n);
    if (lx & (LX_HOSPWORD | LX_STREET | LX_WARDWORD | LX_PHONECTX | LX_IDCTX | LX_HEADER)) return 1; /* and labels a span swallowed */
    if ((lx & LX_NAMEPART) && n <= 3) return 1;
    static const int cues[] = {CUE_FACILITY_HEAD, CUE_FACILITY_HEAD_WEAK, CUE_ORG_HEAD, CUE_UNIT_WORD, CUE_BUILDING_WORD, CUE_STREET_MORE,
                               CUE_STREET_FIRST, CUE_STREET_PARTICLE, CUE_COUNTY_WORD, CUE_COUNTY_ABBREV, CUE_UNIVERSITY_WORD, CUE_DEPARTMENT, CUE_SAINT_WORD};
    for (size_t k = 0; k < sizeof cues / sizeof cues[0]; k++)
        if (sg_cue(g, p, n, cues[k])) return 1;
    return 0;
}

/* ---- names ---- */

static SgWord *sg_find(SgWord *t, int n, const char *low) {
    for (int k = 0; k < n; k++)
        if (!strcmp(t[k].orig, low)) return &t[k];
    return NULL;
}
static SgWord *sg_word_find(SgDoc *g, const char *low) { return sg_find(g->w, g->nw, low); }

/* The probability that a repeat keeps the surrogate of the mention before it
 * (--consistency markov). Osborne et al. found that any chain that sometimes changes
 * the surrogate hides a missed original among the variants; 1/2 makes a repeat as
 * likely to change as to stay, so a reader can tell neither way. */
#define SG_MARKOV_KEEP 0.5

/* markov: one more mention of w; 1 when it takes a fresh surrogate (w->epoch = its
 * mention number, which the fresh draws hash), 0 when it keeps the previous one. The
 * coin is a keyed hash of the original and the mention number: the same seed (or key)
 * gives the same chain. */
static int sg_markov_fresh(SgDoc *g, SgWord *w) {
    if (!g->markov || ++w->seen < 2) return 0; 
    uint64_t h = sg_hash(g, "markov", w->orig, strlen(w->orig), w->seen);
    if ((double)(h >> 11) * 0x1.0p-53 < SG_MARKOV_KEEP) return 0;
    w->epoch = w->seen;
    return 1;
}

/* Is the surrogate s (lower case) taken: an original name word, or another's surrogate? */
static int sg_taken(const SgDoc *g, const char *s) {
    for (int k = 0; k < g->nw; k++)
        if (!strcmp(g->w[k].orig, s) || (g->w[k].sur && !strcmp(g->w[k].sur, s))) return 1;
    return 0;
}

static int sg_first_gender(const SgDoc *g, const char *low) {
    const SrSurrogates *s = g->s;
    for (int k = 0; k < s->n_first; k++)
        if (!strcasecmp(s->first[k], low)) return k < s->n_female ? 'F' : 'M';
    return 0;
}

/* The gender a title or relation word just before byte a gives, or 0 */
static int sg_gender_before(const SgDoc *g, int a) {
    int e = a;
    while (e > 0 && (g->text[e - 1] == ' ' || g->text[e - 1] == '.' || g->text[e - 1] == ',')) e--;
    int b = e;
    while (b > 0 && isalpha((unsigned char)g->text[b - 1])) b--;
    if (e - b < 2 || e - b > 15) return 0;
    char low[16];
    sg_lower(g->text + b, e - b, low, sizeof low);
    for (int k = 0; k < g->s->n_gender; k++)
        if (!strcmp(g->s->gender_word[k], low)) return g->s->gender_of[k];
    return 0;
}

/* The letter runs of a name span, each with its role. "HOLLOWAY, Dennis R.": runs
 * before a comma are surnames; else the last run of two letters or more is the surname
 * and the others first names; a single word is a first name when only the first-name
 * list knows it, else a surname. Hyphenated parts share the role of their word. */
typedef struct { int a, b, role; } SgRun;
static int sg_name_runs(const SgDoc *g, int a, int b, SgRun *run, int cap) {
    int n = 0, comma = -1;
    for (int i = a; i < b && n < cap;) {
        if (!sg_alpha((unsigned char)g->text[i])) { if (g->text[i] == ',' && comma < 0 && n) comma = n; i++; continue; }
        int j = i;
        while (j < b && sg_alpha((unsigned char)g->text[j])) j++;
        run[n++] = (SgRun){i, j, 0};
        i = j;
    }
    int last = -1; /* the surname run's word: the last long run and the runs hyphenated to it */
    for (int k = 0; k < n; k++) if (run[k].b - run[k].a >= 2) last = k;
    for (int k = 0; k < n; k++) {
        if (run[k].b - run[k].a < 2) continue;
        if (comma >= 0) run[k].role = k < comma ? SG_LAST : SG_FIRST;
        else if (k == last) run[k].role = SG_LAST;
        else run[k].role = SG_FIRST;
    }
    if (comma < 0 && last >= 0) /* hyphenated to the surname: Okonkwo-Reid */
        for (int k = last; k > 0 && run[k - 1].b + 1 == run[k].a && g->text[run[k - 1].b] == '-'; k--)
            if (run[k - 1].b - run[k - 1].a >= 2) run[k - 1].role = SG_LAST;
    int longs = 0, single = -1;
    for (int k = 0; k < n; k++) if (run[k].b - run[k].a >= 2) { longs++; single = k; }
    if (n == 1 && run[0].b - run[0].a == 2) { run[0].role = 0; return n; } /* "hk", "JT": a typist's initials */
    if (longs == 1 && comma < 0 && n == 1) { /* one word alone: a first name when only the first-name list knows it and no title precedes */
        uint64_t lx = sg_lex(g, g->text + run[single].a, run[single].b - run[single].a);
        int e = a;
        while (e > 0 && (g->text[e - 1] == ' ' || g->text[e - 1] == '.')) e--;
        int t = e;
        while (t > 0 && isalpha((unsigned char)g->text[t - 1])) t--;
        int after_title = e > t && e - t < 16 && (sg_lex(g, g->text + t, e - t) & LX_TITLE);
        char low[64];
        sg_lower(g->text + run[single].a, run[single].b - run[single].a, low, sizeof low);
        /* "his son, Crispin": a relation word before a lone word makes it a first name */
        int first = ((lx & LX_FIRST) && !(lx & LX_LAST)) || sg_first_gender(g, low) || ((lx & LX_FIRST) && sg_gender_before(g, a));
        run[single].role = first && !after_title ? SG_FIRST : SG_LAST;
    }
    return n;
}

/* Record a name word; a word seen in a full name keeps that role (votes[0] first, [1] last). */
static void sg_word_note(SgDoc *g, const char *p, int n, int role, int strong) {
    char low[64];
    sg_lower(p, n, low, sizeof low);
    SgWord *w = sg_word_find(g, low);
    if (!w) {
        g->w = grow(g->w, &g->cap_w, g->nw + 1, sizeof *g->w);
        w = &g->w[g->nw++];
        memset(w, 0, sizeof *w);
        w->orig = strdup(low);
    }
    /* role: bit 4 marks a role from a full name (strong), which a lone word does not override */
    if (strong) { if (!(w->role & 4)) w->role = role | 4; }
    else if (!w->role) w->role = role;
}

/* The gender for w's surrogate: the pool's when w is a first name it holds, else that of
 * a title or relation word before byte a */
static int sg_word_gender(const SgDoc *g, const SgWord *w, int a) {
    int gd = (w->role & 3) == SG_FIRST ? sg_first_gender(g, w->orig) : 0;
    return gd ? gd : sg_gender_before(g, a);
}

/* w's surrogate: a pool name of its role and gender that is no original name word and
 * no other's surrogate (nor, for a markov repeat, the one it had) */
static void sg_word_assign(SgDoc *g, SgWord *w, int gender) {
    const SrSurrogates *s = g->s;
    char *old = w->sur;
    int role = w->role & 3;
    for (int attempt = 0; attempt < 64; attempt++) {
        uint64_t h = sg_hash(g, role == SG_FIRST ? "first" : "last", w->orig, strlen(w->orig), attempt);
        const char *pick;
        if (role == SG_FIRST) {
            int g0 = gender == 'M' ? s->n_female : 0, g1 = gender == 'F' ? s->n_female : s->n_first;
            pick = s->first[g0 + (int)(h % (uint64_t)(g1 - g0))];
        } else pick = s->last[h % (uint64_t)s->n_last];
        char low[64];
        sg_lower(pick, (int)strlen(pick), low, sizeof low);
        if (attempt < 63 && sg_taken(g, low)) continue;
        w->sur = strdup(low);
        free(old);
        return;
    }
}

/* The surrogate initial of letter c: that of the surrogate of a first name (then a
 * surname) of the document beginning with c, else a hashed other letter. */
static char sg_initial(const SgDoc *g, char c) {
    char lc = (char)tolower((unsigned char)c);
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < g->nw; k++)
            if (g->w[k].orig[0] == lc && g->w[k].sur && (g->w[k].role & 3) == (pass ? SG_LAST : SG_FIRST)) return g->w[k].sur[0];
    uint64_t h = sg_hash(g, "initial", &lc, 1, 0);
    char r = (char)('a' + h % 25);
    if (r >= lc) r++;
    return r;
}

static char *sg_scramble(SgDoc *g, const char *tag, const char *p, int n, int keep, int digits_only);
static char *sg_name(SgDoc *g, int a, int b) {
    SgRun run[32];
    int n = sg_name_runs(g, a, b, run, 32);
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    int at = a;
    for (int k = 0; k < n; k++) {
        fwrite(g->text + at, 1, (size_t)(run[k].a - at), f);
        const char *p = g->text + run[k].a;
        int len = run[k].b - run[k].a;
        at = run[k].b;
        if (len == 1 && run[k].b < b && (g->text[run[k].b] == '\'')) { fputc(p[0], f); continue; } /* O'..., D'... */
        if (len == 1) { char c = sg_initial(g, p[0]); fputc(isupper((unsigned char)p[0]) ? toupper((unsigned char)c) : c, f); continue; }
        char low[64];
        sg_lower(p, len, low, sizeof low);
        SgWord *w = sg_word_find(g, low);
        char cp = sg_case_of(p, len);
        if (w && w->sur && run[k].role && sg_markov_fresh(g, w)) {
            g->epoch = w->epoch;
            sg_word_assign(g, w, sg_word_gender(g, w, a));
            g->epoch = 0;
        }
        if (w && w->sur && run[k].role) sg_put_cased(f, w->sur, cp);
        else if (!run[k].role && len <= 3) /* initials written together: each letter its initial */
            for (int q = 0; q < len; q++) { char c = sg_initial(g, p[q]); fputc(isupper((unsigned char)p[q]) ? toupper((unsigned char)c) : c, f); }
        else fwrite(p, 1, (size_t)len, f);
    }
    if (n == 32 && at < b) { /* a name of more than 32 words: the rest letter for letter */
        char *r = sg_scramble(g, "name-rest", g->text + at, b - at, 0, 0);
        fputs(r, f);
        free(r);
    } else fwrite(g->text + at, 1, (size_t)(b - at), f);
    fclose(f);
    return buf;
}

/* ---- dates ---- */

static const char *const sg_month[12] = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"};
static const char *const sg_wday[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

/* days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms) */
static long sg_days(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
static void sg_civil(long z, int *y, int *m, int *d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}
static int sg_valid(int y, int m, int d) {
    if (m < 1 || m > 12 || d < 1) return 0;
    static const int ml[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > ml[m - 1]) return 0;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* The month a word names (full, 3 letters, "Sept"), 1..12, or 0 */
static int sg_month_of(const char *p, int n) {
    char low[16];
    if (n < 3 || n > 9) return 0;
    sg_lower(p, n, low, sizeof low);
    for (int m = 0; m < 12; m++) {
        if (!strcmp(low, sg_month[m])) return m + 1;
        if (n == 3 && !strncmp(low, sg_month[m], 3)) return m + 1;
    }
    if (!strcmp(low, "sept")) return 9;
    return 0;
}
static int sg_wday_of(const char *p, int n) {
    char low[16];
    if (n < 3 || n > 9) return -1;
    sg_lower(p, n, low, sizeof low);
    for (int k = 0; k < 7; k++)
        if (!strncmp(low, sg_wday[k], (size_t)n) && (n == (int)strlen(sg_wday[k]) || n <= 5)) return k;
    return -1;
}

typedef struct { int a, b, kind; int val; } SgTok; /* kind 'n' digits, 'w' letters, 'p' other */

static int sg_toks(const char *p, int n, SgTok *t, int cap) {
    int k = 0;
    for (int i = 0; i < n && k < cap;) {
        unsigned char c = (unsigned char)p[i];
        int j = i + 1, kind = isdigit(c) ? 'n' : isalpha(c) ? 'w' : 'p';
        if (kind != 'p') while (j < n && (kind == 'n' ? isdigit((unsigned char)p[j]) : isalpha((unsigned char)p[j]))) j++;
        int v = 0;
        if (kind == 'n') for (int q = i; q < j && q < i + 9; q++) v = v * 10 + (p[q] - '0');
        t[k++] = (SgTok){i, j, kind, v};
        i = j;
    }
    return k;
}

static void sg_put_num(FILE *f, int v, int width) { fprintf(f, "%0*d", width, v); }

static const char *sg_ordinal(int d) {
    if (d % 100 >= 11 && d % 100 <= 13) return "th";
    return d % 10 == 1 ? "st" : d % 10 == 2 ? "nd" : d % 10 == 3 ? "rd" : "th";
}

/* Write a month or weekday name in the original word's form: written out when the
 * original is (May counts as written out), else its first three letters; its case. */
static void sg_put_name_like(FILE *f, const char *full, const char *orig, int n, const char *orig_full) {
    char w[16];
    int len = (int)strlen(full);
    if (!((int)strlen(orig_full) == n && !strncasecmp(orig, orig_full, (size_t)n))) len = 3;
    memcpy(w, full, (size_t)len);
    w[len] = 0;
    char cp = sg_case_of(orig, n);
    if (cp == 'T') w[0] = (char)toupper((unsigned char)w[0]);
    sg_put_cased(f, w, cp);
}

static int sg_shift_year(const SgDoc *g, int y) {
    int yy, m, d;
    sg_civil(sg_days(y, 7, 2) + g->shift, &yy, &m, &d);
    return yy;
}

static char *sg_date_one(SgDoc *g, const char *p, int n, int year_only);

/* A date span; a numeric range (2/20-2/21, 03/02/2023-03/09/2023) is two dates, each
 * shifted: it is cut at the first separator unlike the one inside its first date. */
static char *sg_date(SgDoc *g, const char *p, int n, int year_only) {
    int k = 0;
    while (k < n && isdigit((unsigned char)p[k])) k++;
    if (k > 0 && k <= 2 && k < n && (p[k] == '/' || p[k] == '.' || p[k] == '-')) {
        char sep = p[k];
        for (int j = k + 1; j < n; j++) {
            unsigned char c = (unsigned char)p[j];
            if (isdigit(c) || c == (unsigned char)sep) continue;
            if (!(c == '-' || c == ' ' || c == 0xE2)) break;
            int a = j, b = j; /* the cut: spaces, '-', an en or em dash, "to" */
            while (b < n && (p[b] == ' ' || p[b] == '-')) b++;
            if (b + 2 < n && (unsigned char)p[b] == 0xE2 && (unsigned char)p[b + 1] == 0x80 && ((unsigned char)p[b + 2] == 0x93 || (unsigned char)p[b + 2] == 0x94)) b += 3;
            while (b < n && p[b] == ' ') b++;
            if (b == a || b >= n || !isdigit((unsigned char)p[b])) break;
            char *l = sg_date_one(g, p, a, 0), *r = l ? sg_date_one(g, p + b, n - b, 0) : NULL;
            if (!l || !r) { free(l); free(r); break; }
            char *buf = NULL;
            size_t bl = 0;
            FILE *f = open_memstream(&buf, &bl);
            fputs(l, f);
            fwrite(p + a, 1, (size_t)(b - a), f);
            fputs(r, f);
            fclose(f);
            free(l); free(r);
            return buf;
        }
    }
    return sg_date_one(g, p, n, year_only);
}

/* One date: find day, month, year and weekday tokens, shift, rewrite them in place. */
static char *sg_date_one(SgDoc *g, const char *p, int n, int year_only) {
    SgTok t[64];
    int nt = sg_toks(p, n, t, 64);
    if (nt == 64) return NULL; /* no date is that long: the masked LM fills it */
    int iy = -1, im = -1, id = -1, iw = -1, mword = 0;
    int nums[64], nn = 0;
    for (int k = 0; k < nt; k++) {
        if (t[k].kind == 'n') nums[nn++] = k;
        else if (t[k].kind == 'w') {
            int len = t[k].b - t[k].a;
            int mo = sg_month_of(p + t[k].a, len);
            if (mo && im < 0) { im = k; mword = mo; continue; }
            if (sg_wday_of(p + t[k].a, len) >= 0 && iw < 0 && len >= 3) { iw = k; continue; }
        }
    }
    /* an ISO timestamp: keep everything after its date */
    if (mword) {
        for (int q = 0; q < nn; q++) {
            SgTok *x = &t[nums[q]];
            int w = x->b - x->a;
            if (w == 4 && iy < 0) iy = nums[q];
            else if (w <= 2 && x->val >= 1 && x->val <= 31 && id < 0) id = nums[q];
            else if (w == 2 && iy < 0 && id >= 0) iy = nums[q];
        }
    } else if (nn >= 1) {
        int k0 = nums[0];
        SgTok *a0 = &t[k0];
        if (nn == 1 && a0->b - a0->a == 4 && (year_only || iw < 0)) iy = k0;
        else if (nn >= 3 && a0->b - a0->a == 4) { iy = k0; im = nums[1]; id = nums[2]; }
        else if (nn == 2 && a0->b - a0->a == 4) { iy = k0; im = nums[1]; } /* 2026-04 */
        else if (nn >= 2) {
            int k1 = nums[1];
            if (nn == 2 && t[k1].b - t[k1].a == 4) { im = k0; iy = k1; } /* 03/2024 */
            else {
                if (g->dmy >= 0) { id = k0; im = k1; } else { im = k0; id = k1; }
                if (nn >= 3) iy = nums[2];
            }
        }
        if (im >= 0 && id >= 0 && !sg_valid(iy >= 0 ? 2000 : 2000, t[im].val, t[id].val) && sg_valid(2000, t[id].val, t[im].val)) {
            int x = im; im = id; id = x; /* 12/31 in a letter read as day first: the date says which */
        }
        if (im >= 0) mword = t[im].val;
    }
    if (iy < 0 && im < 0 && iw >= 0) { /* a weekday alone: the same shift in days */
        int w0 = sg_wday_of(p + t[iw].a, t[iw].b - t[iw].a);
        char *buf = NULL;
        size_t bl = 0;
        FILE *f = open_memstream(&buf, &bl);
        fwrite(p, 1, (size_t)t[iw].a, f);
        sg_put_name_like(f, sg_wday[(((w0 + g->shift) % 7) + 7) % 7], p + t[iw].a, t[iw].b - t[iw].a, sg_wday[w0]);
        fwrite(p + t[iw].b, 1, (size_t)(n - t[iw].b), f);
        fclose(f);
        return buf;
    }
    if (iy < 0 && im < 0) return NULL;
    if (!mword && iy >= 0 && t[iy].b - t[iy].a != 2 && t[iy].b - t[iy].a != 4) return NULL; /* no year of 1 or 3 digits */
    int y = iy >= 0 ? t[iy].val : g->ref_year, yw = iy >= 0 ? t[iy].b - t[iy].a : 4;
    if (yw == 2) y += y > 40 ? 1900 : 2000; /* the shift only needs a century that keeps leap years right */
    int m = mword, d = id >= 0 ? t[id].val : 0, partial_day = id < 0;
    int ny, nm, nd;
    if (m == 0) { /* a year alone */
        ny = sg_shift_year(g, y); nm = 0; nd = 0;
    } else {
        if (partial_day) d = 15;
        if (!sg_valid(y, m, d)) { if (iy < 0 && sg_valid(2000, m, d)) y = 2000; else return NULL; }
        sg_civil(sg_days(y, m, d) + g->shift, &ny, &nm, &nd);
    }
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    int at = 0;
    for (int k = 0; k < nt; k++) {
        if (k != iy && k != im && k != id && k != iw) continue;
        fwrite(p + at, 1, (size_t)(t[k].a - at), f);
        const char *o = p + t[k].a;
        int len = t[k].b - t[k].a;
        at = t[k].b;
        if (k == iy) sg_put_num(f, yw == 2 ? ny % 100 : ny, yw);
        else if (k == im && t[k].kind == 'w') sg_put_name_like(f, sg_month[nm - 1], o, len, sg_month[m - 1]);
        else if (k == im) sg_put_num(f, nm, len);
        else if (k == id) {
            /* a written date pads its day only where the original did (09 March); a
               numeric one keeps its width (14/03 -> 09/10) */
            sg_put_num(f, nd, t[im].kind == 'w' && o[0] != '0' ? 1 : len);
            if (k + 1 < nt && t[k + 1].kind == 'w' && t[k + 1].a == t[k].b && t[k + 1].b - t[k + 1].a == 2 && !sg_month_of(p + t[k + 1].a, 2)) {
                /* an ordinal suffix: 1st 2nd 3rd 4th */
                char cp = sg_case_of(p + t[k + 1].a, 2);
                sg_put_cased(f, sg_ordinal(nd), cp == 'T' ? 'l' : cp);
                at = t[k + 1].b;
                k++;
            }
        } else if (k == iw) {
            int w0 = sg_wday_of(o, len);
            if (m == 0 || partial_day) sg_put_name_like(f, sg_wday[(((w0 + g->shift) % 7) + 7) % 7], o, len, sg_wday[w0]);
            else { long z = sg_days(ny, nm, nd); sg_put_name_like(f, sg_wday[(int)(((z % 7) + 7 + 3) % 7)], o, len, sg_wday[w0]); }
        }
    }
    fwrite(p + at, 1, (size_t)(n - at), f);
    fclose(f);
    return buf;
}

/* ---- numbers, addresses, places ---- */

/* Digits to digits, letters to letters (case kept), the rest kept; the first `keep`
 * alphanumerics unchanged. Never the original: the last digit or letter is moved on. */
static char *sg_scramble(SgDoc *g, const char *tag, const char *p, int n, int keep, int digits_only) {
    char *r = xmalloc((size_t)n + 1);
    char norm[256] = {0};
    int nn = 0;
    for (int k = 0; k < n && nn < 255; k++) if (isalnum((unsigned char)p[k])) norm[nn++] = (char)toupper((unsigned char)p[k]);
    uint64_t h = sg_hash(g, tag, norm, (size_t)nn, 0), h2 = 0;
    int seen = 0, last = -1, draws = 0;
    for (int k = 0; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        r[k] = (char)c;
        if (!isalnum(c) || (digits_only && !isdigit(c))) continue;
        if (seen++ < keep) continue;
        if (draws % 8 == 0) h2 = sg_hash(g, tag, norm, (size_t)nn, 1 + draws / 8) ^ h;
        unsigned v = (unsigned)(h2 >> (8 * (draws % 8))) & 0xff;
        draws++;
        if (isdigit(c)) {
            r[k] = (char)('0' + v % 10);
            /* a number gains no leading zero (a house number 0, an MRN 0583...) */
            if (r[k] == '0' && c != '0' && (k == 0 || !isdigit((unsigned char)p[k - 1]))) r[k] = (char)('1' + v % 9);
        }
        else if (isupper(c)) r[k] = (char)('A' + v % 26);
        else r[k] = (char)('a' + v % 26);
        last = k;
    }
    r[n] = 0;
    if (last >= 0 && !memcmp(r, p, (size_t)n)) {
        unsigned char c = (unsigned char)r[last];
        r[last] = (char)(isdigit(c) ? '0' + (c - '0' + 1) % 10 : isupper(c) ? 'A' + (c - 'A' + 1) % 26 : 'a' + (c - 'a' + 1) % 26);
    }
    return r;
}

/* A phone: the same digits in the same places, from the fictional ranges where a
 * country has them (US 555-01xx; UK drama numbers 01632 960xxx, 07700 900xxx, 020 7946
 * 0xxx; Australia 0x 5550 xxxx, 0491 570 xxx), keeping '+', the country code and a
 * trunk 0; other numbers digit for digit with their '+' code and trunk 0. An extension
 * (after a letter or '#') is scrambled on its own. */
static char *sg_phone(SgDoc *g, const char *p, int n) {
    int m = 0;
    while (m < n && !isalpha((unsigned char)p[m]) && p[m] != '#') m++;
    int pos[32], nd = 0, plus = 0;
    char d[33];
    for (int k = 0; k < m; k++) {
        if (p[k] == '+' && nd == 0) plus = 1;
        if (isdigit((unsigned char)p[k]) && nd < 32) { pos[nd] = k; d[nd++] = p[k]; }
    }
    d[nd] = 0;
    char nat[16]; /* the new national number, written over the digits from `from` on */
    int from = -1, len = 0;
    int cc = 0;
    if (plus) { /* +1, +44, +61: the code is the digits before the first separator */
        while (cc < nd && pos[cc] == pos[0] + cc) cc++;
        if (cc > 3) cc = (!strncmp(d, "44", 2) || !strncmp(d, "61", 2)) ? 2 : d[0] == '1' ? 1 : 0;
    }
    const char *N = d + cc;
    int nn = nd - cc, trunk = 0;
    if (nn > 0 && N[0] == '0' && (cc || plus || nn == 11 || nn == 10)) trunk = 1; /* 01632..., +44 (0)20... */
    const char *nt = N + trunk;
    int ntl = nn - trunk;
    uint64_t h = sg_hash(g, "phone", d, (size_t)nd, 0);
    char r3[8];
    snprintf(r3, sizeof r3, "%03d", (int)(h % 1000));
    int us = (cc == 1 && d[0] == '1' && ntl == 10) || (!plus && !trunk && ((nd == 10 && d[0] >= '2') || (nd == 11 && d[0] == '1')));
    int uk = ((cc == 2 && !strncmp(d, "44", 2)) || (!plus && trunk && nn == 11)) && ntl == 10;
    int au = ((cc == 2 && !strncmp(d, "61", 2)) || (!plus && trunk && nn == 10)) && ntl == 9 && strchr("2378", nt[0] ? nt[0] : 'x');
    int au_mobile = ((cc == 2 && !strncmp(d, "61", 2)) || (!plus && trunk && nn == 10)) && ntl == 9 && nt[0] == '4';
    if (us) {
        snprintf(nat, sizeof nat, "%d%02d55501%02d", 2 + (int)((h >> 12) % 8), (int)((h >> 20) % 100), (int)((h >> 28) % 100));
        from = nd - 10;
    } else if (uk) {
        snprintf(nat, sizeof nat, "%s%s", nt[0] == '7' ? "7700900" : !strncmp(nt, "20", 2) ? "2079460" : "1632960", r3);
        from = nd - 10;
    } else if (au) {
        snprintf(nat, sizeof nat, "%c5550%04d", nt[0], (int)((h >> 12) % 10000));
        from = nd - 9;
    } else if (au_mobile) {
        snprintf(nat, sizeof nat, "491570%s", r3);
        from = nd - 9;
    }
    char *r;
    if (from >= 0) {
        r = strndup(p, (size_t)n);
        len = (int)strlen(nat);
        for (int k = 0; k < len && from + k < nd; k++) r[pos[from + k]] = nat[k];
        if (!memcmp(r, p, (size_t)m)) { int q = pos[nd - 1]; r[q] = (char)('0' + (r[q] - '0' + 1) % 10); }
    } else {
        int keep = cc + trunk;
        r = sg_scramble(g, "phone", p, m, keep, 1);
        r = xrealloc(r, (size_t)n + 1);
        memcpy(r + m, p + m, (size_t)(n - m));
        r[n] = 0;
        /* the first new digit is no 0: no new trunk or international prefix (00629, 0xx) */
        for (int q = 0, seen = 0; q < m; q++) if (isdigit((unsigned char)r[q]) && seen++ == keep) { if (r[q] == '0' && p[q] != '0') r[q] = '5'; break; }
    }
    if (m < n) { /* the extension */
        char *e = sg_scramble(g, "ext", p + m, n - m, 0, 1);
        memcpy(r + m, e, (size_t)(n - m));
        free(e);
    }
    return r;
}

/* A 10-digit NHS number with a valid mod-11 check digit */
static char *sg_nhs(SgDoc *g, const char *p, int n) {
    int pos[10], nd = 0;
    for (int k = 0; k < n; k++) if (isdigit((unsigned char)p[k])) { if (nd < 10) pos[nd] = k; nd++; }
    if (nd != 10) return sg_scramble(g, "id", p, n, 0, 0);
    for (int attempt = 0; attempt < 64; attempt++) {
        char tag[16];
        snprintf(tag, sizeof tag, "nhs%d", attempt);
        char *r = sg_scramble(g, tag, p, n, 0, 1);
        int sum = 0;
        for (int q = 0; q < 9; q++) sum += (r[pos[q]] - '0') * (10 - q);
        int check = 11 - sum % 11;
        if (check == 11) check = 0;
        if (check == 10) { free(r); continue; }
        r[pos[9]] = (char)('0' + check);
        if (memcmp(r, p, (size_t)n)) return r;
        free(r);
    }
    return sg_scramble(g, "id", p, n, 0, 0);
}

/* A 9-digit SSN (3-2-4) with area 9xx, which is never issued */
static char *sg_ssn(SgDoc *g, const char *p, int n) {
    char *r = sg_scramble(g, "ssn", p, n, 0, 0);
    int nd = 0;
    for (int k = 0; k < n; k++) nd += isdigit((unsigned char)p[k]) != 0;
    if (nd == 9) for (int k = 0; k < n; k++) if (isdigit((unsigned char)r[k])) { r[k] = '9'; break; }
    if (!memcmp(r, p, (size_t)n)) { free(r); return sg_scramble(g, "ssn2", p, n, 0, 0); }
    return r;
}

/* A pool entry for a word (consistent: the hash of its lower-case form), not equal to it */
static const char *sg_pick(SgDoc *g, const char *tag, char **pool, int np, const char *p, int n) {
    char low[128];
    sg_lower(p, n, low, sizeof low);
    for (int attempt = 0; attempt < 16; attempt++) {
        const char *c = pool[sg_hash(g, tag, low, strlen(low), attempt) % (uint64_t)np];
        if (strcasecmp(c, low)) return c;
    }
    return pool[0];
}

/* Words of a street, hospital, organisation, ward or landmark: head words kept, other
 * capitalised words from the pool (acronyms: letters scrambled), numbers scrambled. */
static char *sg_place_words(SgDoc *g, const char *p, int n, char **pool, int np, const char *tag) {
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    int changed = 0;
    for (int i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        if (!isalnum(c) && c < 0x80) { fputc(c, f); i++; continue; }
        int j = i;
        while (j < n && (isalnum((unsigned char)p[j]) || (unsigned char)p[j] >= 0x80)) j++;
        int digits = 0;
        for (int q = i; q < j; q++) digits += isdigit((unsigned char)p[q]) != 0;
        if (digits) { char *r = sg_scramble(g, tag, p + i, j - i, 0, 0); fputs(r, f); free(r); changed = 1; }
        else if (j > i && i > 0 && p[i - 1] == '\'' && j - i <= 2) fwrite(p + i, 1, (size_t)(j - i), f); /* Aldric's */
        else if (sg_head_word(g, p + i, j - i) && !(j - i == 1)) {
            fwrite(p + i, 1, (size_t)(j - i), f);
            if ((sg_lex(g, p + i, j - i) & LX_PHONECTX) && j < n) { /* "Phone: 07700 900 318" swallowed by an address */
                int k = j;
                while (k < n && !isdigit((unsigned char)p[k]) && p[k] != '+' && p[k] != '(') k++;
                if (k < n) {
                    fwrite(p + j, 1, (size_t)(k - j), f);
                    char *r = sg_phone(g, p + k, n - k);
                    fputs(r, f);
                    free(r);
                    changed = 1;
                    break;
                }
            }
        }
        else if (j - i <= 6 && sg_case_of(p + i, j - i) == 'U') { /* an acronym (NGH, TVSDU): letters for letters */ char *r = sg_scramble(g, tag, p + i, j - i, 0, 0); fputs(r, f); free(r); changed = 1; }
        else if (j - i == 1) { char *r = sg_scramble(g, tag, p + i, 1, 0, 0); fputs(r, f); free(r); changed = 1; }
        else {
            const char *w = sg_pick(g, tag, pool, np, p + i, j - i);
            char cp = sg_case_of(p + i, j - i);
            sg_put_cased(f, w, cp);
            changed = 1;
        }
        i = j;
    }
    fclose(f);
    if (!changed) { /* all head words ("The Surgery"): nothing identifying, but never the original */
        free(buf);
        return NULL;
    }
    return buf;
}

/* A whole span from a pool (a town, a state, a country), its case pattern kept */
static char *sg_from_pool(SgDoc *g, const char *tag, char **pool, int np, const char *p, int n) {
    const char *w = sg_pick(g, tag, pool, np, p, n);
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    sg_put_cased(f, w, sg_case_of(p, n));
    fclose(f);
    return buf;
}

/* Letter runs that are ordinary words (the safe vocabulary, not a name) stay; others
 * become a lower-case surname; digits are scrambled. For e-mail local parts, user
 * names and URL paths. */
static void sg_put_handle(SgDoc *g, FILE *f, const char *p, int n, int force) {
    for (int i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        int j = i + 1;
        if (isalpha(c)) {
            while (j < n && isalpha((unsigned char)p[j])) j++;
            uint64_t lx = sg_lex(g, p + i, j - i);
            int word = !force && (lx & (LX_COMMON | LX_VOCAB | LX_HOSPWORD)) && !(lx & (LX_FIRST | LX_LAST)) && j - i > 3;
            if (word) fwrite(p + i, 1, (size_t)(j - i), f);
            else if (j - i <= 2) { char *r = sg_scramble(g, "handle", p + i, j - i, 0, 0); fputs(r, f); free(r); }
            else sg_put_cased(f, sg_pick(g, "handle", g->s->last, g->s->n_last, p + i, j - i), sg_case_of(p + i, j - i) == 'U' ? 'U' : 'l');
        } else if (isdigit(c)) {
            while (j < n && isdigit((unsigned char)p[j])) j++;
            char *r = sg_scramble(g, "handle", p + i, j - i, 0, 0);
            fputs(r, f);
            free(r);
        } else fputc(c, f);
        i = j;
    }
}

/* host: a surrogate name under example.com / .org / .net (by the original's ending) */
static void sg_put_host(SgDoc *g, FILE *f, const char *p, int n) {
    int dot = n;
    while (dot > 0 && p[dot - 1] != '.') dot--;
    const char *tld = dot > 0 ? p + dot : "";
    int tl = n - dot;
    const char *ext = tl == 3 && !strncasecmp(tld, "com", 3) ? "com" : tl == 3 && !strncasecmp(tld, "org", 3) ? "org" : "net";
    if (n >= 4 && !strncasecmp(p, "www.", 4)) fputs("www.", f);
    char low[128];
    sg_lower(p, n, low, sizeof low);
    const char *w = g->s->last[sg_hash(g, "host", low, strlen(low), 0) % (uint64_t)g->s->n_last];
    sg_put_cased(f, w, 'l');
    fprintf(f, ".example.%s", ext);
}

static char *sg_email(SgDoc *g, const char *p, int n) {
    const char *at = memchr(p, '@', (size_t)n);
    if (!at) return NULL;
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    sg_put_handle(g, f, p, (int)(at - p), 0);
    fputc('@', f);
    sg_put_host(g, f, at + 1, n - (int)(at - p) - 1);
    fclose(f);
    return buf;
}

static char *sg_url(SgDoc *g, const char *p, int n) {
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    int i = 0;
    const char *sch = NULL;
    for (int k = 0; k + 2 < n; k++) if (p[k] == ':' && p[k + 1] == '/' && p[k + 2] == '/') { sch = p + k; break; }
    if (sch) { i = (int)(sch - p) + 3; fwrite(p, 1, (size_t)i, f); }
    int h = i;
    while (h < n && p[h] != '/' && p[h] != ':' && p[h] != '?' && p[h] != '#') h++;
    sg_put_host(g, f, p + i, h - i);
    sg_put_handle(g, f, p + h, n - h, 0);
    fclose(f);
    return buf;
}

static char *sg_ip(SgDoc *g, const char *p, int n) {
    char low[128];
    sg_lower(p, n, low, sizeof low);
    uint64_t h = sg_hash(g, "ip", low, strlen(low), 0);
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    if (n > 0 && memchr(p, ':', (size_t)n)) { /* IPv6: 2001:db8: then the rest, hex for hex */
        int groups = 0, k = 0;
        fputs("2001:db8", f);
        while (k < n && groups < 2) { if (p[k] == ':') groups++; k++; }
        if (k < n || groups == 2) {
            fputc(':', f);
            char *r = sg_scramble(g, "ip6", p + k, n - k, 0, 0);
            for (int q = 0; r[q]; q++) fputc(isalpha((unsigned char)r[q]) ? "abcdef"[(r[q] | 32) % 6] : r[q], f);
            free(r);
        }
    } else {
        static const char *const nets[3] = {"192.0.2.", "198.51.100.", "203.0.113."};
        fprintf(f, "%s%d", nets[h % 3], 1 + (int)((h >> 8) % 254));
    }
    fclose(f);
    return buf;
}

/* ---- the document ---- */

static int sg_name_type(const char *cat) { return !strcmp(cat, "PATIENT") || !strcmp(cat, "DOCTOR") || !strcmp(cat, "RELATIVE") || !strcmp(cat, "NAME"); }
static int sg_is(const char *cat, const char *t) { return !strcmp(cat, t); }
/* ---- UK postcodes and the town beside them ---- */

/* A UK postcode (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA; any case, spaces
 * anywhere): the number of its area letters (1 or 2), else 0 */
static int sg_uk_area_len(const char *p, int n) {
    char c[8];
    int m = 0;
    for (int k = 0; k < n; k++) {
        if (p[k] == ' ') continue;
        if (m == 7 || !isalnum((unsigned char)p[k])) return 0;
        c[m++] = p[k];
    }
    if (m < 5 || !isdigit((unsigned char)c[m - 3]) || !isalpha((unsigned char)c[m - 2]) || !isalpha((unsigned char)c[m - 1])) return 0;
    int a = 0, out = m - 3; /* the outward code: the area, a digit, at most one more */
    while (a < 2 && isalpha((unsigned char)c[a])) a++;
    if (a == 0 || !isalpha((unsigned char)p[0]) || a >= out || !isdigit((unsigned char)c[a]) || out - a > 2) return 0;
    return a;
}

/* The surrogate area (an index of the list) of a postcode whose area letters are
 * p[0..al): an area with as many letters whose town is not the original area's (so
 * London's SW never becomes London's E); keyed by the letters, so one original area
 * keeps one surrogate area in the document */
static int sg_uk_area(const SgDoc *g, const char *p, int al) {
    const SrSurrogates *s = g->s;
    const char *own = NULL;
    for (int k = 0; k < s->n_uk; k++)
        if ((int)strlen(s->uk_area[k]) == al && !strncasecmp(s->uk_area[k], p, (size_t)al)) own = s->uk_town[k];
    char low[3];
    sg_lower(p, al, low, sizeof low);
    int start = (int)(sg_hash(g, "uk-area", low, (size_t)al, 0) % (uint64_t)s->n_uk);
    for (int i = 0; i < s->n_uk; i++) {
        int k = (start + i) % s->n_uk;
        if ((int)strlen(s->uk_area[k]) == al && strncasecmp(s->uk_area[k], p, (size_t)al) && !(own && !strcmp(own, s->uk_town[k]))) return k;
    }
    return start; /* a list without another area of that length: any */
}

/* A UK postcode's surrogate: the surrogate area in the original's case, the rest digit
 * for digit and letter for letter */
static char *sg_uk_postcode(SgDoc *g, const char *p, int n, int al) {
    char *rest = sg_scramble(g, "id", p + al, n - al, 0, 0), *r = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&r, &bl);
    sg_put_cased(f, g->s->uk_area[sg_uk_area(g, p, al)], sg_case_of(p, al));
    fputs(rest, f);
    fclose(f);
    free(rest);
    return r;
}

/* A town span c followed by a UK postcode span z, only spaces and commas between
 * ("Oxford OX3 9DU", "Oxford,\nOX3 9DU"): the town becomes the post town of the
 * postcode surrogate's area, wherever it occurs in the document (the first postcode
 * beside it decides); not where that town is the original itself */
static void sg_city_of_postcode(SgDoc *g, const SrSpan *c, const SrSpan *z) {
    if (c->action != SR_ACT_PHI || z->action != SR_ACT_PHI || !sg_is(c->category, "CITY") || !sg_is(z->category, "ZIP")) return;
    if (z->byte_start < c->byte_end || z->byte_start - c->byte_end > 6) return;
    for (int i = c->byte_end; i < z->byte_start; i++) if (!strchr(" ,\t\r\n", g->text[i])) return;
    const char *zp = g->text + z->byte_start;
    int al = sg_uk_area_len(zp, z->byte_end - z->byte_start);
    if (!al) return;
    char low[128];
    sg_lower(g->text + c->byte_start, c->byte_end - c->byte_start, low, sizeof low);
    const char *town = g->s->uk_town[sg_uk_area(g, zp, al)];
    if (sg_find(g->city, g->n_city, low) || !strcasecmp(town, low)) return;
    g->city = grow(g->city, &g->cap_city, g->n_city + 1, sizeof *g->city);
    SgWord *e = &g->city[g->n_city++];
    memset(e, 0, sizeof *e);
    e->orig = strdup(low);
    e->sur = strdup(town);
}

/* The post town a town span takes from its postcode (sg_city_of_postcode), or NULL */
static const char *sg_city_town(const SgDoc *g, const char *p, int n) {
    char low[128];
    sg_lower(p, n, low, sizeof low);
    const SgWord *e = sg_find(g->city, g->n_city, low);
    return e ? e->sur : NULL;
}

/* "St Aldric" typed as a clinician: a saint's name is a place's */
static int sg_name_is_place(const SgDoc *g, const SrSpan *sp) {
    const char *p = g->text + sp->byte_start;
    int j = 0, n = sp->byte_end - sp->byte_start;
    while (j < n && isalpha((unsigned char)p[j])) j++;
    return j > 0 && j < n && sg_cue(g, p, j, CUE_SAINT_WORD);
}

static char *sg_span(SgDoc *g, const SrSpan *sp) {
    const char *cat = sp->category, *p = g->text + sp->byte_start;
    int n = sp->byte_end - sp->byte_start;
    const SrSurrogates *s = g->s;
    if (sg_name_type(cat) && sg_name_is_place(g, sp)) return sg_place_words(g, p, n, s->last, s->n_last, "org");
    if (sg_name_type(cat)) {
        char *r = sg_name(g, sp->byte_start, sp->byte_end);
        if ((int)strlen(r) == n && !strncasecmp(r, p, (size_t)n)) { free(r); r = sg_scramble(g, "initials", p, n, 0, 0); } /* M. -> M.: initials of a surrogate that kept them */
        return r;
    }
    if (sg_is(cat, "DATE")) return sg_date(g, p, n, 0);
    if (sg_is(cat, "YEAR")) return sg_date(g, p, n, 1);
    if (sg_is(cat, "AGE")) {
        int v = 0, nd = 0;
        for (int k = 0; k < n; k++) if (isdigit((unsigned char)p[k])) { if (nd < 4) v = v * 10 + p[k] - '0'; nd++; }
        if (!nd || nd > 3) return NULL;
        if (v < 90) return strndup(p, (size_t)n);
        int a = 90 + (int)(sg_hash(g, "age", p, (size_t)n, 0) % 15);
        if (a == v) a = a == 104 ? 90 : a + 1;
        char num[8];
        snprintf(num, sizeof num, "%d", a);
        char *r = NULL;
        size_t bl = 0;
        FILE *f = open_memstream(&r, &bl);
        int put = 0;
        for (int k = 0; k < n; k++) {
            if (isdigit((unsigned char)p[k])) { if (!put) fputs(num, f); put = 1; }
            else fputc(p[k], f);
        }
        fclose(f);
        return r;
    }
    if (sg_is(cat, "PHONE") || sg_is(cat, "FAX")) return sg_phone(g, p, n);
    if (sg_is(cat, "NHS")) return sg_nhs(g, p, n);
    if (sg_is(cat, "SSN")) return sg_ssn(g, p, n);
    if (sg_is(cat, "MRN") || sg_is(cat, "HEALTHPLAN") || sg_is(cat, "ACCOUNT") || sg_is(cat, "LICENSE") || sg_is(cat, "DEVICE") ||
        sg_is(cat, "VEHICLE") || sg_is(cat, "ID") || sg_is(cat, "ZIP")) {
        int al = sg_is(cat, "ZIP") ? sg_uk_area_len(p, n) : 0;
        return al ? sg_uk_postcode(g, p, n, al) : sg_scramble(g, "id", p, n, 0, 0);
    }
    if (sg_is(cat, "EMAIL")) return sg_email(g, p, n);
    if (sg_is(cat, "URL")) return sg_url(g, p, n);
    if (sg_is(cat, "IP")) return sg_ip(g, p, n);
    if (sg_is(cat, "USERNAME")) {
        char *r = NULL;
        size_t bl = 0;
        FILE *f = open_memstream(&r, &bl);
        sg_put_handle(g, f, p, n, 0);
        fclose(f);
        if ((int)strlen(r) == n && !memcmp(r, p, (size_t)n)) { /* all ordinary words (dreid_proxy): none kept */
            free(r);
            f = open_memstream(&r, &bl);
            sg_put_handle(g, f, p, n, 1);
            fclose(f);
        }
        return r;
    }
    if (sg_is(cat, "CITY") && sg_city_town(g, p, n)) {
        char *r = NULL;
        size_t bl = 0;
        FILE *f = open_memstream(&r, &bl);
        sg_put_cased(f, sg_city_town(g, p, n), sg_case_of(p, n));
        fclose(f);
        return r;
    }
    if (sg_is(cat, "CITY")) {
        /* a street line or a department the rules called a town: its words one by one */
        int words = 0, head = 0, digit = isdigit((unsigned char)p[0]);
        for (int i = 0; i < n;) {
            if (!isalpha((unsigned char)p[i])) { i++; continue; }
            int j = i;
            while (j < n && isalpha((unsigned char)p[j])) j++;
            words++;
            head |= sg_head_word(g, p + i, j - i);
            i = j;
        }
        if (digit || (words > 1 && head)) return sg_place_words(g, p, n, s->street, s->n_street, "street");
        return sg_from_pool(g, "town", s->town, s->n_town, p, n);
    }
    if (sg_is(cat, "COUNTRY")) return sg_from_pool(g, "country", s->country, s->n_country, p, n);
    if (sg_is(cat, "STATE")) {
        int code = n == 2; /* OH, oh */
        return sg_from_pool(g, "state", code ? s->state_code : s->state, s->n_state, p, n);
    }
    if (sg_is(cat, "STREET")) return sg_place_words(g, p, n, s->street, s->n_street, "street");
    if (sg_is(cat, "WARD")) return sg_place_words(g, p, n, s->street, s->n_street, "ward");
    if (sg_is(cat, "COUNTY")) return sg_place_words(g, p, n, s->town, s->n_town, "county");
    if (sg_is(cat, "HOSPITAL") || sg_is(cat, "ORGANIZATION") || sg_is(cat, "LOCATION")) return sg_place_words(g, p, n, s->last, s->n_last, "org");
    return NULL; /* PROFESSION, OTHER: the masked LM fills them */
}

/* markov: the epoch of a non-name span's draws (names change word by word in sg_name;
 * dates keep the one shift, so that intervals stay exact) */
static int sg_markov_epoch(SgDoc *g, const SrSpan *sp) {
    const char *cat = sp->category;
    if (!g->markov || sg_name_type(cat) || sg_is(cat, "DATE") || sg_is(cat, "YEAR") || sg_is(cat, "ZIP") || sg_city_town(g, g->text + sp->byte_start, sp->byte_end - sp->byte_start)) return 0;
    char low[256];
    sg_lower(g->text + sp->byte_start, sp->byte_end - sp->byte_start, low, sizeof low);
    SgWord *e = sg_find(g->seen, g->n_seen, low);
    if (!e) {
        g->seen = grow(g->seen, &g->cap_seen, g->n_seen + 1, sizeof *g->seen);
        e = &g->seen[g->n_seen++];
        memset(e, 0, sizeof *e);
        e->orig = strdup(low);
    }
    sg_markov_fresh(g, e);
    return e->epoch;
}

/* ---- --explain: what kind of surrogate a span got, never its original ---- */

/* The format of a date span: DD/MM/YYYY, Month D, YYYY-MM-DD... (digits and words become
 * their field's letters; punctuation and short words such as "of", "th" stay) */
static void sg_put_date_format(const SgDoc *g, FILE *f, const char *p, int n) {
    SgTok t[32];
    int nt = sg_toks(p, n, t, 32), word_month = 0, iso = nt > 0 && t[0].kind == 'n' && t[0].b - t[0].a == 4, nums = 0;
    for (int q = 0; q < nt; q++) if (t[q].kind == 'w' && sg_month_of(p + t[q].a, t[q].b - t[q].a)) word_month = 1;
    for (int q = 0; q < nt; q++) {
        int w = t[q].b - t[q].a;
        const char *tp = p + t[q].a;
        if (t[q].kind == 'p') { fputc(tp[0], f); continue; }
        if (t[q].kind == 'w') {
            if (sg_month_of(tp, w)) fputs(w <= 4 ? "Mon" : "Month", f);
            else if (sg_wday_of(tp, w)) fputs(w <= 4 ? "Wkd" : "Weekday", f);
            else if (w <= 3) fwrite(tp, 1, (size_t)w, f);
            else fputs("Word", f);
            continue;
        }
        char field = 'Y';
        if (w != 4) {
            int k = nums++; /* the k-th number that is not a 4-digit year */
            if (word_month) field = k == 0 ? 'D' : 'Y';
            else if (iso) field = k == 0 ? 'M' : 'D';
            else if (k < 2) field = (k == 0) == (g->dmy >= 0) ? 'D' : 'M';
        }
        for (int c = 0; c < w; c++) fputc(field, f);
    }
}

static char *sg_how(const SgDoc *g, const SrSpan *sp, const char *sur) {
    const char *cat = sp->category, *p = g->text + sp->byte_start;
    int n = sp->byte_end - sp->byte_start;
    char *r = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&r, &bl);
    if (!sur) fputs("no surrogate for this type", f);
    else if (sg_name_type(cat) && sg_name_is_place(g, sp)) fputs("a saint's place name: head words kept, other words surnames from the pool", f);
    else if (sg_name_type(cat)) fputs("name: first names and surnames from the pools, word by word, case, initials and hyphens kept", f);
    else if (sg_is(cat, "DATE")) { fprintf(f, "date shifted %+d days, format ", g->shift); sg_put_date_format(g, f, p, n); fputs(" kept", f); }
    else if (sg_is(cat, "YEAR")) fprintf(f, "year: its 2 July shifted %+d days", g->shift);
    else if (sg_is(cat, "AGE")) fputs((int)strlen(sur) == n && !memcmp(sur, p, (size_t)n) ? "age under 90: not PHI, kept" : "age over 89: another age from 90 to 104", f);
    else if (sg_is(cat, "PHONE") || sg_is(cat, "FAX")) fputs("phone number: the same digits in the same places, from a fictional range where one is known, separators kept", f);
    else if (sg_is(cat, "NHS")) fputs("NHS number: digit for digit, a valid check digit", f);
    else if (sg_is(cat, "SSN")) fputs("SSN: digit for digit, starting with 9 (never issued)", f);
    else if (sg_is(cat, "EMAIL") || sg_is(cat, "URL") || sg_is(cat, "USERNAME")) fputs("address: ordinary words kept, other letter runs pool names, hosts on example.com/.org/.net", f);
    else if (sg_is(cat, "IP")) fputs("IP address from a documentation range", f);
    else if (sg_is(cat, "CITY") && sg_city_town(g, p, n)) fputs("town: the post town of its postcode surrogate's area, case kept", f);
    else if (sg_is(cat, "ZIP") && sg_uk_area_len(p, n)) fputs("UK postcode: another area of the list, the rest digit for digit and letter for letter", f);
    else if (sg_is(cat, "CITY") || sg_is(cat, "STATE") || sg_is(cat, "COUNTRY")) fputs("place from the gazetteer pools, case kept", f);
    else if (sg_is(cat, "STREET") || sg_is(cat, "HOSPITAL") || sg_is(cat, "ORGANIZATION") || sg_is(cat, "WARD") || sg_is(cat, "LOCATION") || sg_is(cat, "COUNTY"))
        fputs("place: head words kept, other words street stems, towns or surnames, numbers digit for digit", f);
    else fputs("number: digits for digits, letters for letters, separators kept", f);
    if (sur && g->epoch) fprintf(f, "; a fresh draw for mention %d (markov)", g->epoch);
    fclose(f);
    return r;
}

int sr_surrogates_make(const SrSurrogates *s, const SrSurrogateOptions *o, const char *text, size_t len, const SrSpans *spans, char **out, char **how, char *err) {
    SgDoc g;
    memset(&g, 0, sizeof g);
    g.s = s; g.text = text; g.len = len;
    if (o->shift_min > o->shift_max) return sr_fail(err, "date shift range %d:%d is empty", o->shift_min, o->shift_max);
    /* keyed: every document of the key alike; else the document's own choices (keyed by
       the key and the text under --consistency document, else by the seed and the text) */
    int keyed = s->has_key && o->consistency != SR_CONSIST_DOCUMENT;
    if (o->consistency == SR_CONSIST_PATIENT && !s->has_key) return sr_fail(err, "--consistency patient needs --surrogate-key");
    g.markov = o->consistency == SR_CONSIST_MARKOV;
    if (keyed) { g.key[0] = s->key[0]; g.key[1] = s->key[1]; }
    else if (s->has_key) { g.key[0] = s->key[0]; g.key[1] = sg_siphash(s->key, (const unsigned char *)text, len); }
    else { g.key[0] = o->seed; g.key[1] = sg_siphash((const uint64_t[2]){o->seed, 0x73722d646f63ull}, (const unsigned char *)text, len); }
    /* the date shift: the document's (not keyed), or the key's and the patient's */
    {
        const char *pt = keyed && o->patient ? o->patient : "";
        uint64_t h = sg_hash(&g, keyed ? "shift-patient" : "shift", pt, strlen(pt), 0);
        long range = (long)o->shift_max - o->shift_min + 1;
        g.shift = o->shift_min + (int)(h % (uint64_t)range);
        if (g.shift == 0) g.shift = o->shift_max != 0 ? o->shift_max : o->shift_min; /* a zero shift is no surrogate */
    }
    /* the letter's day/month order and the year of its first full date */
    PhiDoc d;
    if (phi_doc_open(&d, NULL, text, len, err) < 0) return -1;
    phi_date_order(&d);
    g.dmy = d.dmy;
    phi_doc_close(&d);
    g.ref_year = 0;
    for (int k = 0; k < spans->n && !g.ref_year; k++) {
        const SrSpan *sp = &spans->span[k];
        if (sp->action != SR_ACT_PHI || strcmp(sp->category, "DATE")) continue;
        SgTok t[32];
        int nt = sg_toks(text + sp->byte_start, sp->byte_end - sp->byte_start, t, 32);
        for (int q = 0; q < nt; q++) if (t[q].kind == 'n' && t[q].b - t[q].a == 4 && t[q].val >= 1800 && t[q].val < 2200) { g.ref_year = t[q].val; break; }
    }
    if (!g.ref_year) g.ref_year = 2001;
    /* names: every word with its role first (full names before lone words), then the
       surrogates, so that variants and initials agree whatever comes first */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < spans->n; k++) {
            const SrSpan *sp = &spans->span[k];
            if (sp->action != SR_ACT_PHI || !sg_name_type(sp->category) || sg_name_is_place(&g, sp)) continue;
            SgRun run[32];
            int nr = sg_name_runs(&g, sp->byte_start, sp->byte_end, run, 32), longs = 0;
            for (int q = 0; q < nr; q++) longs += run[q].role != 0;
            if ((longs > 1) != (pass == 0)) continue;
            for (int q = 0; q < nr; q++)
                if (run[q].role) sg_word_note(&g, text + run[q].a, run[q].b - run[q].a, run[q].role, longs > 1);
        }
    for (int k = 0; k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        if (sp->action != SR_ACT_PHI || !sg_name_type(sp->category) || sg_name_is_place(&g, sp)) continue;
        SgRun run[32];
        int nr = sg_name_runs(&g, sp->byte_start, sp->byte_end, run, 32);
        for (int q = 0; q < nr; q++) {
            if (!run[q].role) continue;
            char low[64];
            sg_lower(text + run[q].a, run[q].b - run[q].a, low, sizeof low);
            SgWord *w = sg_word_find(&g, low);
            if (!w || w->sur) continue;
            sg_word_assign(&g, w, sg_word_gender(&g, w, sp->byte_start));
        }
    }
    for (int k = 0; k + 1 < spans->n; k++) sg_city_of_postcode(&g, &spans->span[k], &spans->span[k + 1]);
    for (int k = 0; k < spans->n; k++) {
        const SrSpan *sp = &spans->span[k];
        out[k] = NULL;
        if (how) how[k] = NULL;
        if (sp->action != SR_ACT_PHI) continue;
        g.epoch = sg_markov_epoch(&g, sp);
        out[k] = sg_span(&g, sp);
        if (how) how[k] = sg_how(&g, sp, out[k]);
        g.epoch = 0;
    }
    for (int k = 0; k < g.nw; k++) { free(g.w[k].orig); free(g.w[k].sur); }
    for (int k = 0; k < g.n_seen; k++) free(g.seen[k].orig);
    for (int k = 0; k < g.n_city; k++) { free(g.city[k].orig); free(g.city[k].sur); }
    free(g.city);
    free(g.w);
    free(g.seen);
    return 0;
}

/* One line of the --map-out table: a PHI span of record id (its JSON, else index), where
 * it lies in the original (code points), its type, the original text, what the output
 * has in its place, and the rule that found it. The line holds the original: only a
 * file the user asked for by name gets it, for authorised review. */
static void sg_map_put(FILE *f, const char *id_json, long index, const char *text, const SrSpan *sp, const char *sur, size_t sur_len,
                       const char *fill) {
    fputs("{\"id\":", f);
    if (id_json) fputs(id_json, f); else fprintf(f, "%ld", index);
    fprintf(f, ",\"start\":%d,\"end\":%d,\"type\":", sp->cp_start, sp->cp_end);
    json_put_cstr(f, sp->category);
    fputs(",\"original\":", f);
    json_put_string(f, text + sp->byte_start, (size_t)(sp->byte_end - sp->byte_start));
    fputs(",\"surrogate\":", f);
    json_put_string(f, sur, sur_len);
    fputs(",\"rule\":", f);
    json_put_cstr(f, sp->source);
    fprintf(f, ",\"fill\":\"%s\"}\n", fill);
}

/* --consistency document|patient|markov: SR_CONSIST_*, or -1 */
static int sg_parse_consistency(const char *v) {
    return !strcmp(v, "document") ? SR_CONSIST_DOCUMENT : !strcmp(v, "patient") ? SR_CONSIST_PATIENT : !strcmp(v, "markov") ? SR_CONSIST_MARKOV : -1;
}

/* --date-shift MIN:MAX (days, MIN <= MAX, each within +-36500) */
static int sg_parse_shift(const char *v, int *lo, int *hi) {
    char *e;
    long a = strtol(v, &e, 10);
    if (e == v || *e != ':') return -1;
    const char *w = e + 1;
    long b = strtol(w, &e, 10);
    if (e == w || *e || a > b || a < -36500 || b > 36500 || (a == 0 && b == 0)) return -1;
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}
