import { fieldValue, type HeaderFields, valueEquals } from './header-fields.ts';

/** Where the request came from, for X-Forwarded-For and -Proto. */
export interface ClientInfo {
  address: string;
  scheme: string;
}

/**
 * The X-Forwarded-* fields the proxy ends each request head of one client connection with. A connection's
 * requests nearly always name one host and bring no X-Forwarded-For of their own, so those lines are
 * encoded once per connection and host, and the host's name is decoded once, not once per request.
 */
export class ForwardedFields {
  readonly #client: ClientInfo;
  #host: string | undefined;
  #lines: Buffer | undefined;

  constructor(client: ClientInfo) {
    this.#client = client;
  }

  /** The value of the Host field at `index`: the previous request's string when the bytes are the same. */
  host(data: Buffer, fields: HeaderFields, index: number): string {
    const last = this.#host;
    return last !== undefined && valueEquals(data, fields, index, last)
      ? last
      : fieldValue(data, fields, index);
  }

  /**
   * The X-Forwarded-* lines and the empty line that ends the head; `forwardedFor` is the client's own
   * X-Forwarded-For, `upgradeLine` the Upgrade field when the request asks for one.
   */
  lines(host: string | undefined, forwardedFor: string | undefined, upgradeLine: string | undefined): Buffer {
    if (forwardedFor !== undefined || upgradeLine !== undefined) {
      const upgrade = upgradeLine === undefined ? '' : `${upgradeLine}\r\nConnection: Upgrade\r\n`;
      return Buffer.from(upgrade + this.#text(host, `${forwardedFor}, ${this.#client.address}`), 'latin1');
    }
    if (this.#lines === undefined || host !== this.#host) {
      this.#lines = Buffer.from(this.#text(host, this.#client.address), 'latin1');
      this.#host = host;
    }
    return this.#lines;
  }

  #text(host: string | undefined, forwardedFor: string): string {
    const { scheme } = this.#client;
    return (
      `X-Forwarded-For: ${forwardedFor}\r\nX-Forwarded-Proto: ${scheme}\r\n` +
      `X-Forwarded-Host: ${host ?? ''}\r\nX-Forwarded-Port: ${forwardedPort(host, scheme)}\r\n\r\n`
    );
  }
}

/** The port the client asked for: the Host's, else the scheme's (the proxy may sit behind a TLS terminator). */
function forwardedPort(host: string | undefined, scheme: string): string {
  const colon = host === undefined ? -1 : host.lastIndexOf(':');
  const port = colon < 0 ? '' : (host as string).slice(colon + 1);
  if (port.length >= 1 && port.length <= 5 && isDigits(port)) return port;
  return scheme === 'https' ? '443' : '80';
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}
