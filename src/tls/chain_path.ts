import type * as pkijs from "pkijs";

/**
 * What one presented client chain may cost before any credential is checked.
 * Every bound applies before or during path building, so a chain whose
 * certificates issue each other, or a very long one, is refused in milliseconds.
 */
export interface ChainLimits {
  /** Certificates taken from the presented chain (leaf included); the rest are dropped unparsed. */
  maxCerts: number;
  /** A presented certificate larger than this (DER bytes) refuses the chain before parsing. */
  maxCertBytes: number;
  /** Certificates in a path, leaf and trust anchor included. */
  maxPathLength: number;
  /** Wall-clock budget for building and verifying paths, in milliseconds. */
  timeBudgetMs: number;
}

/** The defaults of `[auth] client_chain_*`. */
export const DEFAULT_CHAIN_LIMITS: ChainLimits = {
  maxCerts: 8,
  maxCertBytes: 16 * 1024,
  maxPathLength: 6,
  timeBudgetMs: 500,
};

/** Issuer lookups (name comparisons) one chain may make, whatever the shape of its names. */
const MAX_LOOKUPS = 512;

/**
 * Candidate paths from `leaf` to a trust anchor, by names only (signatures are
 * checked when a path is verified), shortest first. Depth-first with a visited
 * set per path, at most `maxPathLength` certificates each, at most
 * `maxPaths` paths and a fixed number of lookups in all: names that loop or
 * fan out cannot make the search grow.
 */
export function candidatePaths(
  leaf: pkijs.Certificate,
  intermediates: readonly pkijs.Certificate[],
  anchors: readonly pkijs.Certificate[],
  limits: Pick<ChainLimits, "maxPathLength">,
  maxPaths = 4,
): pkijs.Certificate[][] {
  const found: pkijs.Certificate[][] = [];
  const anchorKeys = new Set(anchors.map(tbsKey));
  const usable = [...new Set(intermediates)].filter((c) => !anchorKeys.has(tbsKey(c)));
  let lookups = 0;
  const issuedBy = (cert: pkijs.Certificate, issuer: pkijs.Certificate): boolean => {
    lookups++;
    return cert.issuer.isEqual(issuer.subject);
  };
  const visit = (path: pkijs.Certificate[]): void => {
    const current = path[path.length - 1];
    for (const anchor of anchors) {
      if (found.length >= maxPaths || lookups >= MAX_LOOKUPS) return;
      if (issuedBy(current, anchor)) found.push([...path, anchor]);
    }
    // An intermediate added here still needs an anchor above it.
    if (path.length + 2 > limits.maxPathLength) return;
    for (const next of usable) {
      if (found.length >= maxPaths || lookups >= MAX_LOOKUPS) return;
      if (path.includes(next)) continue;
      if (issuedBy(current, next)) visit([...path, next]);
    }
  };
  visit([leaf]);
  return found.sort((a, b) => a.length - b.length);
}

/** pkijs's own notion of "the same certificate": the same to-be-signed bytes. */
function tbsKey(cert: pkijs.Certificate): string {
  return cert.tbsView.toBase64();
}
