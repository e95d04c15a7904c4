// Tests of the oracle's .npy reader/writer: node --test tools/oracle/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readNpy, writeNpy } from './npy.mjs';
import { sanitiseName } from './run.mjs';

test('round trip keeps type, shape and values', () => {
  const cases = [
    ['float32', [2, 3], Float32Array.from([0, -1.5, 2.25, 3e-8, -0, 1e30])],
    ['float64', [4], Float64Array.from([Math.PI, -1, 0, 1e-300])],
    ['int64', [1, 2], BigInt64Array.from([-(2n ** 62n), 7n])],
    ['int32', [3], Int32Array.from([-1, 0, 2 ** 31 - 1])],
    ['uint8', [2, 1], Uint8Array.from([0, 255])],
    ['int8', [2], Int8Array.from([-128, 127])],
    ['float32', [], Float32Array.from([42])],
    ['float32', [0, 5], new Float32Array(0)],
  ];
  for (const [type, shape, data] of cases) {
    const bytes = writeNpy(type, shape, data);
    const headerEnd = 10 + new DataView(bytes.buffer).getUint16(8, true);
    assert.equal(headerEnd % 64, 0, `${type} ${shape}: header not 64-byte aligned`);
    const back = readNpy(bytes);
    assert.equal(back.type, type);
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(Array.from(back.data), Array.from(data));
  }
});

test('bool values are written as 0/1 bytes', () => {
  const back = readNpy(writeNpy('bool', [3], Uint8Array.from([1, 0, 5])));
  assert.equal(back.type, 'bool');
  assert.deepEqual(Array.from(back.data), [1, 0, 1]);
});

test('reads a file NumPy wrote', () => {
  const x = readNpy(readFileSync(new URL('../../testdata/models/resnet20_cifar.input.npy', import.meta.url)));
  assert.equal(x.type, 'float32');
  assert.deepEqual(x.shape, [1, 3, 32, 32]);
  assert.equal(x.data.length, 3 * 32 * 32);
  assert.ok(x.data.every(Number.isFinite));
});

test('rejects malformed files with a reason', () => {
  const good = writeNpy('float32', [2, 2], new Float32Array(4));
  assert.throws(() => readNpy(Uint8Array.from([1, 2, 3])), /magic/);
  assert.throws(() => readNpy(good.subarray(0, good.length - 1)), /needs 16/);
  const fortran = new TextDecoder('latin1').decode(good).replace("'fortran_order': False", "'fortran_order': True ");
  assert.throws(() => readNpy(Uint8Array.from(fortran, (c) => c.charCodeAt(0))), /Fortran/);
  const bigEndian = new TextDecoder('latin1').decode(good).replace('<f4', '>f4');
  assert.throws(() => readNpy(Uint8Array.from(bigEndian, (c) => c.charCodeAt(0))), /not supported/);
  const v9 = Uint8Array.from(good);
  v9[6] = 9;
  assert.throws(() => readNpy(v9), /version 9/);
  assert.throws(() => writeNpy('string', [1], ['a']), /cannot write/);
});

test('output names become safe file names', () => {
  assert.equal(sanitiseName('/blocks/Conv_output_0'), '_blocks_Conv_output_0');
  assert.equal(sanitiseName('probs'), 'probs');
  assert.equal(sanitiseName('..'), '_..');
  assert.equal(sanitiseName('a:b c'), 'a_b_c');
});
