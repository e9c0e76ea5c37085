import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, zipSync } from 'fflate';
import fc from 'fast-check';
import { ConvscopeError, FileFormatError, LimitError, type ErrorCode } from '../errors.js';
import { crc32, isZip, listZip, readZip } from './zip.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

function throwsCode(fn: () => unknown, cls: typeof ConvscopeError, code: ErrorCode, ...patterns: RegExp[]): ConvscopeError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name} ${code}, got ${String(caught)}`);
  const err = caught as ConvscopeError;
  assert.equal(err.code, code, err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

interface Craft {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflate (default), or any other number written as is. */
  method?: number;
  /** Uncompressed size written in the headers (default: the true size). */
  declaredSize?: number;
  crc?: number;
  flags?: number;
  /** Write sizes and offset as 0xFFFFFFFF with a ZIP64 extra field in the central directory. */
  zip64?: boolean;
  /** Point this central entry at the local header of an earlier entry (overlap). */
  shareLocalWith?: number;
  /** Name bytes as stored (default: UTF-8 of name). */
  rawName?: Uint8Array;
}

/** Builds a ZIP by hand, so that headers can lie. */
function craftZip(entries: Craft[], options: { zip64Eocd?: boolean } = {}): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number): void => void parts.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number): void => void parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: number): void => {
    u32(v % 2 ** 32);
    u32(Math.floor(v / 2 ** 32));
  };
  const bytes = (b: Uint8Array): void => void parts.push(...b);
  const info = entries.map((e) => {
    const method = e.method ?? 8;
    const payload = method === 8 ? deflateSync(e.data) : e.data;
    return { e, method, payload, name: e.rawName ?? enc(e.name), size: e.declaredSize ?? e.data.length, crc: e.crc ?? crc32(e.data), offset: 0 };
  });
  for (const it of info) {
    if (it.e.shareLocalWith !== undefined) continue;
    it.offset = parts.length;
    u32(0x04034b50);
    u16(20);
    u16(it.e.flags ?? 0);
    u16(it.method);
    u32(0);
    u32(it.crc);
    u32(it.payload.length);
    u32(it.size);
    u16(it.name.length);
    u16(0);
    bytes(it.name);
    bytes(it.payload);
  }
  for (const it of info) if (it.e.shareLocalWith !== undefined) it.offset = info[it.e.shareLocalWith]!.offset;
  const cdStart = parts.length;
  for (const it of info) {
    const z = it.e.zip64 === true;
    u32(0x02014b50);
    u16(45);
    u16(45);
    u16(it.e.flags ?? 0);
    u16(it.method);
    u32(0);
    u32(it.crc);
    u32(z ? 0xffffffff : it.payload.length);
    u32(z ? 0xffffffff : it.size);
    u16(it.name.length);
    u16(z ? 28 : 0);
    u16(0);
    u16(0);
    u16(0);
    u32(0);
    u32(z ? 0xffffffff : it.offset);
    bytes(it.name);
    if (z) {
      u16(0x0001);
      u16(24);
      u64(it.size);
      u64(it.payload.length);
      u64(it.offset);
    }
  }
  const cdSize = parts.length - cdStart;
  if (options.zip64Eocd === true) {
    const at = parts.length;
    u32(0x06064b50);
    u64(44);
    u16(45);
    u16(45);
    u32(0);
    u32(0);
    u64(info.length);
    u64(info.length);
    u64(cdSize);
    u64(cdStart);
    u32(0x07064b50);
    u32(0);
    u64(at);
    u32(1);
  }
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(options.zip64Eocd === true ? 0xffff : info.length);
  u16(options.zip64Eocd === true ? 0xffff : info.length);
  u32(options.zip64Eocd === true ? 0xffffffff : cdSize);
  u32(options.zip64Eocd === true ? 0xffffffff : cdStart);
  u16(0);
  return Uint8Array.from(parts);
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(enc('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(enc('123456789abcdefghij')), 0x4c6ba4e5); // python: zlib.crc32
});

test('readZip reads stored and deflated entries written by fflate', () => {
  const big = new Uint8Array(100_000).map((_, i) => (i * 7) % 251);
  const zip = zipSync(
    {
      'a.txt': [enc('hello'), { level: 0 }],
      'dir/b.bin': [big, { level: 6 }],
      'empty.txt': [new Uint8Array(0), { level: 6 }],
      'sub/': new Uint8Array(0),
    },
    {},
  );
  assert.ok(isZip(zip));
  const m = readZip(zip, { fileName: 't.zip' });
  assert.deepEqual([...m.keys()], ['a.txt', 'dir/b.bin', 'empty.txt']); // directory skipped
  assert.equal(dec(m.get('a.txt')), 'hello');
  assert.deepEqual(m.get('dir/b.bin'), big);
  assert.equal(m.get('empty.txt')!.length, 0);
  const list = listZip(zip);
  assert.deepEqual(
    list.map((e) => [e.name, e.method, e.size, e.isDirectory]),
    [
      ['a.txt', 0, 5, false],
      ['dir/b.bin', 8, 100_000, false],
      ['empty.txt', 8, 0, false],
      ['sub/', 8, 0, true],
    ],
  );
  assert.ok(list[1]!.compressedSize < 100_000);
  // include: only the chosen entries are inflated and counted.
  const only = readZip(zip, { include: (n) => n.endsWith('.txt'), maxTotalBytes: 10 });
  assert.deepEqual([...only.keys()], ['a.txt', 'empty.txt']);
  // An empty archive.
  assert.equal(readZip(zipSync({})).size, 0);
});

test('readZip reads hand-made archives, including ZIP64 records and CP437 names', () => {
  const m = readZip(
    craftZip(
      [
        { name: 'x.bin', data: enc('zip64 sizes'), zip64: true },
        { name: 'st', data: enc('stored'), method: 0, zip64: true },
        { name: 'Ä', rawName: Uint8Array.from([0x8e]), data: enc('cp437') },
        { name: 'é', data: enc('utf8'), flags: 0x800 },
      ],
      { zip64Eocd: true },
    ),
  );
  assert.deepEqual([...m.keys()], ['x.bin', 'st', 'Ä', 'é']);
  assert.equal(dec(m.get('x.bin')), 'zip64 sizes');
  assert.equal(dec(m.get('st')), 'stored');
  assert.equal(dec(m.get('Ä')), 'cp437');
});

test('readZip refuses unsafe entry names with ZIP_UNSAFE_PATH before inflating', () => {
  for (const name of ['../x', 'a/../../x', '..\\evil.dll', '/etc/passwd', '\\\\server\\share', 'C:/x', 'c:x', 'a\0b', '']) {
    throwsCode(() => listZip(craftZip([{ name, data: enc('x') }]), { fileName: 'bad.zip' }), FileFormatError, 'ZIP_UNSAFE_PATH', /^bad\.zip: entry name /);
  }
  // An unsafe name anywhere refuses the archive, even when it is not to be inflated.
  const zip = craftZip([
    { name: 'ok.txt', data: enc('fine') },
    { name: '../x', data: enc('x') },
  ]);
  throwsCode(() => readZip(zip, { include: (n) => n === 'ok.txt' }), FileFormatError, 'ZIP_UNSAFE_PATH', /"\.\.\/x"/, /'\.\.'/);
  // Names that merely contain dots are fine.
  const fine = readZip(craftZip([{ name: 'a..b/./c...', data: enc('y') }]));
  assert.equal(dec(fine.get('a..b/./c...')), 'y');
});

test('readZip refuses archives whose declared sizes exceed the limit with ZIP_BOMB, before inflating', () => {
  // A ~20 MB run of zeros deflates to ~20 KB.
  const zeros = new Uint8Array(20_000_000);
  const bomb = zipSync({ 'z.bin': [zeros, { level: 9 }] });
  assert.ok(bomb.length < 100_000);
  const err = throwsCode(() => readZip(bomb, { fileName: 'bomb.zip', maxTotalBytes: 1_000_000 }), LimitError, 'ZIP_BOMB', /20000000 bytes/, /limit of 1000000/, /maxTotalBytes/);
  assert.equal(err.details['totalBytes'], 20_000_000);
  // A header that claims 4 GiB is refused against the default 2 GiB limit; nothing is allocated.
  throwsCode(() => readZip(craftZip([{ name: 'huge', data: enc('tiny'), declaredSize: 0xfffffff0 }])), LimitError, 'ZIP_BOMB', /4294967280 bytes/);
  // Many small entries add up.
  const many = craftZip(Array.from({ length: 5 }, (_, i) => ({ name: `e${i}`, data: new Uint8Array(300) })));
  throwsCode(() => readZip(many, { maxTotalBytes: 1000 }), LimitError, 'ZIP_BOMB', /1500 bytes/);
  // Entry count.
  throwsCode(() => listZip(many, { maxEntries: 4 }), LimitError, 'ZIP_BOMB', /5 entries, over the limit of 4/);
});

test('readZip stops an entry that inflates past its declared size', () => {
  const data = new Uint8Array(5_000_000).fill(7);
  const liar = craftZip([{ name: 'liar.bin', data, declaredSize: 1000 }]);
  assert.equal(listZip(liar)[0]!.size, 1000);
  throwsCode(() => readZip(liar, { fileName: 'liar.zip' }), FileFormatError, 'ZIP_CORRUPT', /liar\.bin/, /more than the 1000 bytes its header declares/);
  // Fewer bytes than declared is damage too.
  throwsCode(() => readZip(craftZip([{ name: 'short', data: enc('abc'), declaredSize: 10 }])), FileFormatError, 'ZIP_CORRUPT', /inflates to 3 bytes but its header declares 10/);
  // Stored entries cannot disagree with themselves.
  throwsCode(() => listZip(craftZip([{ name: 's', data: enc('abc'), method: 0, declaredSize: 10 }])), FileFormatError, 'ZIP_CORRUPT', /stored entry 's'/);
});

test('readZip refuses damaged and unsupported archives with ZIP_CORRUPT', () => {
  const good = craftZip([
    { name: 'a', data: enc('alpha alpha alpha') },
    { name: 'b', data: enc('beta') },
  ]);
  assert.equal(dec(readZip(good).get('b')), 'beta');

  throwsCode(() => readZip(enc('definitely not a zip file'), { fileName: 'n.zip' }), FileFormatError, 'ZIP_CORRUPT', /^n\.zip: /, /end-of-central-directory/, /64 65 66 69/);
  throwsCode(() => readZip(new Uint8Array(0)), FileFormatError, 'ZIP_CORRUPT', /\(none\)/);
  throwsCode(() => readZip(good.subarray(0, good.length - 30)), FileFormatError, 'ZIP_CORRUPT');
  throwsCode(() => readZip(good.subarray(20)), FileFormatError, 'ZIP_CORRUPT');
  throwsCode(() => readZip(craftZip([{ name: 'c', data: enc('x'), crc: 1234 }])), FileFormatError, 'ZIP_CORRUPT', /checksum/);
  throwsCode(() => readZip(craftZip([{ name: 'e', data: enc('x'), flags: 1 }])), FileFormatError, 'ZIP_CORRUPT', /encrypted/);
  throwsCode(() => readZip(craftZip([{ name: 'z', data: enc('x'), method: 12 }])), FileFormatError, 'ZIP_CORRUPT', /method 12/);
  throwsCode(() => readZip(craftZip([{ name: 'd', data: enc('1') }, { name: 'd', data: enc('2') }])), FileFormatError, 'ZIP_CORRUPT', /twice/);
  throwsCode(
    () => readZip(craftZip([{ name: 'a', data: new Uint8Array(1000) }, { name: 'b', data: new Uint8Array(1000), shareLocalWith: 0 }])),
    FileFormatError,
    'ZIP_CORRUPT',
    /overlap/,
  );
  // Garbage where deflate data should be.
  const garbled = Uint8Array.from(good);
  const at = garbled.indexOf(0x61, 30) + 1; // just after the name 'a' of the first local header
  garbled.fill(0xff, at, at + 8);
  throwsCode(() => readZip(garbled), FileFormatError, 'ZIP_CORRUPT', /entry 'a'/);
});

test('property: mutated archives either read or throw a ConvscopeError', () => {
  const seeds = [
    zipSync({ 'x.npy': [new Uint8Array(300).map((_, i) => i % 13), { level: 6 }], 'y.txt': [enc('hello hello'), { level: 0 }] }),
    craftZip([{ name: 'z', data: enc('zip64 zip64 zip64'), zip64: true }], { zip64Eocd: true }),
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.record({ at: fc.nat(), value: fc.nat({ max: 255 }), cut: fc.boolean() }), { minLength: 1, maxLength: 4 }),
      (seed, muts) => {
        let bytes = Uint8Array.from(seed);
        for (const m of muts) {
          const at = m.at % Math.max(1, bytes.length);
          if (m.cut && m.value < 16) bytes = bytes.subarray(0, at);
          else bytes[at] = m.value;
        }
        try {
          readZip(bytes, { maxTotalBytes: 1 << 20 });
        } catch (e) {
          assert.ok(e instanceof ConvscopeError, `non-ConvscopeError: ${String(e)}`);
        }
      },
    ),
    { numRuns: 300, seed: 99 },
  );
});
