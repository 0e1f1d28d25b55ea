// The users every test registry knows, in its bcrypt htpasswd file.
export interface Credentials {
  user: string;
  password: string;
}

/** Named in `auth.htpasswd.admins` by default: may push, delete and tag. */
export const ADMIN: Credentials = { user: 'admin', password: 'admin-secret' };
// A reader whose password contains colons: Basic auth must split at the first colon only.
export const READER: Credentials = { user: 'reader', password: 'read:only:pass' };
