/** The package version, kept in one place for results files. */
export const version = '0.1.0';
