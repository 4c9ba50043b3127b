export const TEST_ADMIN_PASSWORD = 'test-admin-password';
export const TEST_PASSWORD_HASH_COST = '10';
