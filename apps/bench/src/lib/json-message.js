/** A deterministic JSON document of exactly `size` bytes with realistic variety (ids, names, numbers, dates). */
export function jsonMessage(size = 16 * 1024, seed = 42) {
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const words = [
    'alpha',
    'beta',
    'gamma',
    'delta',
    'omega',
    'sigma',
    'kappa',
    'lambda',
    'zeta',
    'theta',
  ];
  const items = [];
  const doc = (pad) => JSON.stringify({ type: 'update', seq: items.length, items, pad });
  for (;;) {
    items.push({
      id: 100000 + Math.floor(rand() * 900000),
      name: `${words[Math.floor(rand() * 10)]}-${words[Math.floor(rand() * 10)]}`,
      price: Math.round(rand() * 100000) / 100,
      active: rand() < 0.5,
      updated: new Date(1.7e12 + Math.floor(rand() * 1e10)).toISOString(),
      tags: words.filter(() => rand() < 0.2),
    });
    if (doc('').length > size) {
      items.pop();
      break;
    }
  }
  return Buffer.from(doc(' '.repeat(size - doc('').length)));
}
