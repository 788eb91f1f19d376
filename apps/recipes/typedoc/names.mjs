// A TypeDoc plugin: each entry module is named after its import specifier
// (`@strata-ws/reconnect/server`) instead of its path (`reconnect/src/server`).
import { Converter, ReflectionKind } from 'typedoc';
import { publishedEntries } from './config.mjs';

/** Called by TypeDoc with the application. */
export function load(app) {
  const names = new Map(publishedEntries());
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context
      .getSymbolFromReflection(reflection)
      ?.declarations?.[0]?.getSourceFile().fileName;
    const name = file === undefined ? undefined : names.get(file);
    if (name !== undefined) reflection.name = name;
  });
}
