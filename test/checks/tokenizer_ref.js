// The reference: Hugging Face's Rust tokenizer (npm `tokenizers`), configured exactly as
// BertTokenizerFast saves bert-base-* (tokenizer.json built here from a vocab.txt).
//   node test/checks/tokenizer_ref.js VOCAB.txt (lower|cased) [--no-special] < in.jsonl > out.jsonl
// (mode may add ",strip", ",nostrip", ",nocjk": see tokenizerJson).
// Input lines {"id":..., "text":...}; output lines in `sr tokenize --jsonl` format:
// {"id":..., "ids":[...], "tokens":[...], "offsets":[[s,e],...], "words":[...]} with
// code-point offsets. Also usable as a module: build(vocabPath, mode).
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '..', 'js', 'node_modules', 'tokenizers'));

// mode: "lower" or "cased", optionally followed by ",strip" / ",nostrip" / ",nocjk"
// (BertNormalizer strip_accents true/false instead of null, handle_chinese_chars false).
function tokenizerJson(vocabPath, mode) {
  const opts = String(mode).split(',');
  const lowercase = opts[0] === 'lower';
  const strip = opts.includes('strip') ? true : opts.includes('nostrip') ? false : null;
  const cjk = !opts.includes('nocjk');
  const lines = fs.readFileSync(vocabPath, 'utf8').split(/\r\n|\r|\n/); // universal newlines
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const vocab = {};
  lines.forEach((tok, i) => { vocab[tok] = i; }); // later duplicates win, as HF load_vocab
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((s) => s in vocab);
  const st = (s) => ({ SpecialToken: { id: s, type_id: 0 } });
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: special.map((s) => ({ id: vocab[s], content: s, single_word: false, lstrip: false,
      rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: cjk,
      strip_accents: strip, lowercase: lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'TemplateProcessing',
      single: [st('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, st('[SEP]')],
      pair: [st('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, st('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] } } },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
      max_input_chars_per_word: 100, vocab },
  });
}

function build(vocabPath, mode) {
  return Tokenizer.fromString(tokenizerJson(vocabPath, mode));
}

// JS strings are UTF-16: turn offsets into code-point offsets if the binding gave
// UTF-16 ones (checked once per process, see offsetKind()).
function utf16ToCp(text) {
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = cp;
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) { map[i + 1] = cp; i++; }
    cp++;
  }
  map[text.length] = cp;
  return map;
}

async function offsetKind(tok) {
  // U+1F600 is one code point, two UTF-16 units and four UTF-8 bytes
  const e = await tok.encode('\u{1F600} a', null, { addSpecialTokens: false });
  const off = e.getOffsets();
  const last = off[off.length - 1];
  if (last[0] === 2) return 'cp';
  if (last[0] === 3) return 'utf16';
  if (last[0] === 5) return 'bytes';
  throw new Error('cannot tell the offset unit: ' + JSON.stringify(off));
}

function record(id, e, text, kind) {
  let offsets = e.getOffsets();
  if (kind === 'utf16') {
    const m = utf16ToCp(text);
    offsets = offsets.map(([s, t]) => [m[s], m[t]]);
  } else if (kind !== 'cp') throw new Error('unsupported offsets ' + kind);
  return JSON.stringify({ id, ids: e.getIds(), tokens: e.getTokens(), offsets,
    words: e.getWordIds().map((w) => (w === undefined ? null : w)) });
}

async function main() {
  const [vocabPath, mode, ...rest] = process.argv.slice(2);
  if (!vocabPath || !['lower', 'cased'].includes(String(mode).split(',')[0])) {
    console.error('usage: node tokenizer_ref.js VOCAB.txt (lower|cased)[,strip|,nostrip][,nocjk] [--no-special] < in.jsonl');
    process.exit(2);
  }
  const addSpecial = !rest.includes('--no-special');
  const tok = build(vocabPath, mode);
  const kind = await offsetKind(tok);
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
  const out = [];
  const B = 1000;
  for (let i = 0; i < lines.length; i += B) {
    const recs = lines.slice(i, i + B).map((l) => JSON.parse(l));
    const encs = await tok.encodeBatch(recs.map((r) => r.text), { addSpecialTokens: addSpecial });
    encs.forEach((e, k) => out.push(record(recs[k].id, e, recs[k].text, kind)));
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  process.stderr.write('tokenizers offsets unit: ' + kind + '\n');
}

module.exports = { build, tokenizerJson, offsetKind };
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
