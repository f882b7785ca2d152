import { type TDeflated, deflateZeros, gzipFrame, measure, type TMeasured } from './fixtures/bomb';
import { tarHeader, writeTar } from './tar-writer';
import { craftZip } from './fixtures/zip-craft';
import { readArchive } from './read-archive';
import { ArchiveError, type TArchiveErrorCode } from './errors';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// Default limits keep at most 50 MiB of file data; a bounded reader stays far below 1 GiB.
// (Times are figures, not assertions: see the README for the measured ones.)
const MAX_RSS_GROWTH = 200 * MiB;

jest.setTimeout(60_000);

function expectRefusedCheaply(result: TMeasured<unknown>, code: TArchiveErrorCode): void {
  const { outcome } = result;
  if (outcome.ok) throw new Error('the bomb was accepted');
  expect(outcome.error).toBeInstanceOf(ArchiveError);
  expect((outcome.error as ArchiveError).code).toBe(code);
  expect(result.peakRssGrowth).toBeLessThan(MAX_RSS_GROWTH);
}

describe('decompression bombs', () => {
  let zeros: TDeflated;

  beforeAll(async () => {
    zeros = await deflateZeros(1024);
  });

  it('the generator really makes 1 GiB of zeros at about 1000:1 (checked on a 4 MiB sample)', async () => {
    expect(zeros.inflatedBytes).toBe(GiB);
    expect(zeros.deflated.length).toBeLessThan(1.2 * MiB);
    const sample = await deflateZeros(4, Buffer.from('head'));
    const { inflateRawSync } = await import('node:zlib');
    const inflated = inflateRawSync(sample.deflated);
    expect(inflated.length).toBe(4 + 4 * MiB);
    expect(inflated.subarray(0, 4).toString()).toBe('head');
    expect(inflated.subarray(4).every((byte) => byte === 0)).toBe(true);
  });

  it('zip: 1 GiB of zeros with honest sizes is refused from the central directory', async () => {
    const zip = craftZip([{ name: 'zeros.bin', compressed: { method: 8, bytes: zeros.deflated, uncompressedSize: GiB, crc32: zeros.crc32 } }]);
    const result = await measure(() => readArchive(zip));
    expectRefusedCheaply(result, 'file_too_large');
  });

  it('zip: 1 GiB of zeros declaring a harmless size is cut off while inflating', async () => {
    const declared = 10 * MiB;
    const zip = craftZip([{ name: 'zeros.bin', compressed: { method: 8, bytes: zeros.deflated, uncompressedSize: declared, crc32: zeros.crc32 } }]);
    const result = await measure(() => readArchive(zip));
    expectRefusedCheaply(result, 'file_too_large');
  });

  it('zip: many entries of honest medium bombs are refused on the declared total', async () => {
    const nine = await deflateZeros(9);
    const zip = craftZip(
      Array.from({ length: 8 }, (_, i) => ({ name: `z${i}.bin`, compressed: { method: 8, bytes: nine.deflated, uncompressedSize: nine.inflatedBytes, crc32: nine.crc32 } })),
    );
    const result = await measure(() => readArchive(zip, { maxCompressionRatio: 10_000 }));
    expectRefusedCheaply(result, 'total_too_large');
    await expect(readArchive(zip)).rejects.toMatchObject({ code: 'compression_ratio' });
  });

  describe('tar.gz', () => {
    it('a 1 GiB file of zeros is refused on its tar header', async () => {
      const header = tarHeader({ name: 'zeros.bin', size: GiB });
      const gz = gzipFrame(await deflateZeros(1025, header));
      expect(gz.length).toBeLessThan(1.2 * MiB);
      const result = await measure(() => readArchive(gz));
      expectRefusedCheaply(result, 'file_too_large');
      });

    describe('a valid small tar followed by 1 GiB of zero padding', () => {
      let gz: Buffer;
      beforeAll(async () => {
        gz = gzipFrame(await deflateZeros(1024, writeTar([{ name: 'hello.txt', data: Buffer.from('hello') }]).subarray(0, 1024)));
      });

      it('is cut off at the decompressed-stream cap', async () => {
        const result = await measure(() => readArchive(gz));
        expectRefusedCheaply(result, 'total_too_large');
      });

      it('is cut off by the compression ratio when that comes first', async () => {
        const result = await measure(() => readArchive(gz, { maxCompressionRatio: 20 }));
        expectRefusedCheaply(result, 'compression_ratio');
      });
    });
  });
});
