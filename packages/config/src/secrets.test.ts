import { decryptSecret, encryptSecret } from './secrets';

it('round-trips a secret and refuses a wrong key or tampering', () => {
  const sealed = encryptSecret('glpat-abc', 'k'.repeat(32));
  expect(sealed).not.toContain('glpat');
  expect(decryptSecret(sealed, 'k'.repeat(32))).toBe('glpat-abc');
  expect(() => decryptSecret(sealed, 'x'.repeat(32))).toThrow();
  const parts = sealed.split(':');
  parts[3] = Buffer.from('tampered').toString('base64url');
  expect(() => decryptSecret(parts.join(':'), 'k'.repeat(32))).toThrow();
});
