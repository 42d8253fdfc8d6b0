/** Who is asking: every service call that touches environments takes one. */
export interface Principal {
  userId: string;
  login: string;
  isAdmin: boolean;
  /** The API token that authenticated the request, when it was a token (the rate limit counts per token). */
  tokenId: string | undefined;
}
