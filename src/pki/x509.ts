/**
 * @peculiar/x509, for every module of the server: its dependency injection
 * (tsyringe) throws at load unless the Reflect metadata polyfill ran first, so
 * the polyfill is loaded here, ahead of the package, in the one module that
 * loads it. An import of the package from anywhere else could run before the
 * polyfill: in `deno task build`'s output, a module's side-effect import of a
 * CommonJS package runs only after the modules it imports.
 *
 * @module
 */
import "reflect-metadata";

export * from "@peculiar/x509";
