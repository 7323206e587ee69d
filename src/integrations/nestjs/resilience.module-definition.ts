import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ResilienceModuleOptions } from './resilience-options.interface';

export const {
  ConfigurableModuleClass,
  /**
   * The injection token of the options given to `ResilienceModule.forRoot()` (or returned by
   * the `forRootAsync()` factory), for providers that want to read them.
   *
   * @example
   * ```ts
   * constructor(@Inject(RESILIENCE_MODULE_OPTIONS) private readonly options: ResilienceModuleOptions) {}
   * ```
   */
  MODULE_OPTIONS_TOKEN: RESILIENCE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResilienceModuleOptions>({ moduleName: 'Resilience' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createResilienceOptions')
  // Global unless asked otherwise: decorated classes anywhere in the app share one setting.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal ?? true }))
  .build();

/** What `ResilienceModule.forRoot()` takes: the options, plus `isGlobal` (default true). */
export type ResilienceModuleRootOptions = typeof OPTIONS_TYPE;
/** What `ResilienceModule.forRootAsync()` takes: `imports`, `inject`, `useFactory | useClass | useExisting`, `isGlobal`. */
export type ResilienceModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
