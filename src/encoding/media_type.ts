/**
 * Content-Type header values: the media type and its parameters.
 *
 * @module
 */

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function essence(contentType: string | null | undefined): string | undefined {
  const value = contentType?.split(";")[0].trim().toLowerCase();
  return value === "" ? undefined : value;
}

/** The value of one parameter of a Content-Type header (name matched in any case, quotes removed). */
export function mediaTypeParameter(contentType: string, name: string): string | undefined {
  for (const part of contentType.split(";").slice(1)) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === name) {
      return part.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    }
  }
  return undefined;
}
