/**
 * What a label may be, on its own: the listener threads check labels on every
 * request, and importing the configuration schema for this one pattern would
 * load zod and every schema into each of them.
 *
 * @module
 */

/** A label segment: what `/.well-known/est/<label>/...` may carry. */
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;
