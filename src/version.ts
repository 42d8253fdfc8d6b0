import packageJson from '../package.json' with { type: 'json' };

export const GLIMPSE_VERSION: string = packageJson.version;
