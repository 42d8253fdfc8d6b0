/** The largest pull request number Glimpse stores (a PostgreSQL integer); anything above is bad input. */
export const PR_NUMBER_MAX = 2_147_483_647;
