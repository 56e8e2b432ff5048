import { describe, expect, it } from 'vitest';
import { haveFixtures, fixturePath } from '../helpers/fixtures.js';
import { readCheckpointFile } from '../../src/io/read-file.js';

const withPt = ['mci-tiny', 'text-mct-tiny', 'clip-tiny', 'vit-tiny'];

describe.runIf(haveFixtures())('PyTorch .pt reader', () => {
  for (const name of withPt) {
    it(`${name}/model.pt reads to exactly the tensors of model.safetensors`, async () => {
      const pt = await readCheckpointFile(fixturePath(name, 'model.pt'));
      const st = await readCheckpointFile(fixturePath(name, 'model.safetensors'));
      expect(pt.format).toBe('pytorch');
      expect([...pt.stateDict.keys()].sort()).toEqual([...st.stateDict.keys()].sort());
      let bytes = 0;
      for (const [k, a] of st.stateDict) {
        const b = pt.stateDict.get(k)!;
        expect(b.dtype, k).toBe(a.dtype);
        expect(b.shape, k).toEqual(a.shape);
        expect(Buffer.compare(Buffer.from(b.data), Buffer.from(a.data)), `${k} bytes differ`).toBe(0);
        bytes += a.data.byteLength;
      }
      console.log(`${name}: ${st.stateDict.size} tensors, ${bytes} bytes identical (bit for bit)`);
    });
  }
});
