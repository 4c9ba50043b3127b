import type { Executor } from '../../db/database.js';

export function findUserByUsername(db: Executor, username: string) {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'display_name', 'password_hash', 'is_platform_admin'])
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
}

export function findUserById(db: Executor, id: string) {
  return db.selectFrom('users').select(['id', 'username', 'display_name', 'is_platform_admin']).where('id', '=', id).executeTakeFirst();
}
