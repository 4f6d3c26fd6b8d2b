export type Provider = 'sqlite' | 'postgresql';

export declare const PROVIDERS: readonly ['sqlite', 'postgresql'];

export declare const PATHS: {
  readonly source: string;
  readonly schema: Readonly<Record<Provider, string>>;
  readonly client: Readonly<Record<Provider, string>>;
  readonly migrations: Readonly<Record<Provider, string>>;
  readonly snapshot: string;
};

export declare function schemaFor(provider: Provider, sourceText: string): string;
