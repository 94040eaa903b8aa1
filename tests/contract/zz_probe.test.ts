it('probe', async () => {
  const gb = (process as unknown as { getBuiltinModule: (n: string) => unknown }).getBuiltinModule;
  const m = gb('module') as typeof import('module');
  const req = m.createRequire(__filename);
  console.log('same require?', req === require, typeof (m as any)._load);
  const dyn = req('/tmp/probe/dyn.js');
  try { await dyn(); console.log('native ok'); } catch (e) { console.log('native fail', String(e)); }
  const dyn2 = (m as any)._load('/tmp/probe/dyn.js', null, false);
  try { await dyn2(); console.log('_load ok'); } catch (e) { console.log('_load fail', String(e)); }
});
