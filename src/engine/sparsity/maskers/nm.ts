// N:M masker: N kept in every group of M consecutive input channels; the schedule value
// is the fraction p of full groups that are N:M (lowest group score first), the rest and
// the tail channels (C_in mod M) stay dense. With shared scores both roles come from one
// ranking and one n-of-m pattern, so the target's N:M groups (p − g) are a subset of the
// online's and the online mask is a subset of the target mask.
import { nmKeepArrays } from '../masks';
import { nmDensity } from '../scheduleOf';
import type { Masker } from './masker';

export function nmMasker(n: number, m: number): Masker {
  return {
    scoreLayout: 'weight',
    planned(shapes, value) {
      return shapes.map((s) => ({ online: nmDensity(s, n, m, value.online), target: nmDensity(s, n, m, value.target) }));
    },
    masks({ shapes, scores, shared, value }) {
      return shapes.map((shape, i) => {
        if (shared) {
          const [online, target] = nmKeepArrays(scores.online[i], shape, n, m, [value.online, value.target]);
          return { online, target };
        }
        return {
          online: nmKeepArrays(scores.online[i], shape, n, m, [value.online])[0],
          target: nmKeepArrays(scores.target[i], shape, n, m, [value.target])[0],
        };
      });
    },
  };
}
