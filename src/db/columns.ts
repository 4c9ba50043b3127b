import type { ColumnType } from 'kysely';

/**
 * Column types shared by every module's table declarations (`<module>.tables.ts`). numeric
 * columns are strings (exact), bigint columns are numbers (see database.ts), timestamps are
 * Dates.
 */
export type Numeric = ColumnType<string, string, string>;
/** Set by the database's default when the row is inserted; never updated. */
export type CreatedAt = ColumnType<Date, Date | undefined, never>;
