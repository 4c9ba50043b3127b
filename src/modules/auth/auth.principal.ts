/**
 * Who is calling: the user a bearer token or a web session names, and whether they
 * administer the platform. Authentication (src/http/authenticate.ts) sets it on every request
 * to /v1 that is not public; services take it to decide, once, what the caller may do.
 */
export interface Principal {
  userId: string;
  isPlatformAdmin: boolean;
}
