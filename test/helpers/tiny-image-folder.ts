import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * A small ImageFolder directory in a fresh temp directory: `classes` sub-folders of `perClass`
 * 16x16 grey PNGs each (every image a different flat grey level), under `parent`. For runs that
 * must be quick.
 */
export async function tinyImageFolder(
  parent = tmpdir(),
  classes = ['bag', 'boot', 'coat'],
  perClass = 4,
): Promise<string> {
  const root = mkdtempSync(join(parent, 'clab-tiny-folder-'));
  for (const [c, name] of classes.entries()) {
    mkdirSync(join(root, name));
    for (let i = 0; i < perClass; i++) {
      const level = (40 + c * 60 + i * 11) % 256;
      const png = await sharp(Buffer.alloc(16 * 16, level), {
        raw: { width: 16, height: 16, channels: 1 },
      })
        .toColourspace('b-w')
        .png()
        .toBuffer();
      writeFileSync(join(root, name, `${String(i).padStart(2, '0')}.png`), png);
    }
  }
  return root;
}
