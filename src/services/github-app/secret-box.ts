import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encryption at rest (AES-256-GCM) and signatures (HMAC-SHA256), each with its own key derived from one secret. */
export interface SecretBox {
  seal(plaintext: string): string;
  /** The plaintext, or undefined when the text was not sealed with this key (or was changed). */
  open(sealed: string): string | undefined;
  sign(text: string): string;
  verify(text: string, signature: string): boolean;
}

export function createSecretBox(secret: string): SecretBox {
  const derive = (purpose: string) =>
    createHash('sha256').update(`glimpse:${purpose}:`).update(secret).digest();
  const encryptionKey = derive('encrypt');
  const signingKey = derive('sign');
  const mac = (text: string) => createHmac('sha256', signingKey).update(text).digest();
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      const bytes = Buffer.from(sealed, 'base64');
      if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', encryptionKey, bytes.subarray(0, IV_BYTES));
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        return undefined;
      }
    },
    sign: (text) => mac(text).toString('base64url'),
    verify(text, signature) {
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(text);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
