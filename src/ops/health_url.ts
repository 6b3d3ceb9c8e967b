/** Where `health` looks by default: the TLS listener's default port, on loopback. */
export const DEFAULT_HEALTH_URL = "https://127.0.0.1:8443/health";
