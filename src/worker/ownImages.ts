// The own images the worker trains on, at the side a run asks for. Loaded files are kept
// (they are already in the worker: the page transferred them), so another image size
// decodes them anew exactly as a load at that size would. Own data restored with an
// autosaved run, or imported with a run.zip, comes without its files (only the decoded
// images are saved): it can be shrunk by area averaging, but not enlarged, which would
// only blur; that is refused.
import { OwnDataError, readOwnData, type Dataset, type ImageDecoder, type OwnFile } from '../engine/data';
import { shrinkDataset } from '../engine/data/areaResize';

export class OwnImages {
  private bySide = new Map<number, Dataset>();

  /** `files` absent: restored from a save, only `data` (the decoded images) is at hand. */
  constructor(
    readonly id: number,
    data: Dataset,
    private readonly files?: OwnFile[],
  ) {
    this.bySide.set(data.height, data);
  }

  /** Puts the sizes cached now back (a restore refused after `at` decoded another size for it). */
  rememberSizes(): () => void {
    const kept = new Map(this.bySide);
    return () => {
      this.bySide = new Map(kept);
    };
  }

  /** The images as first loaded or restored. */
  get loaded(): Dataset {
    return this.bySide.values().next().value!;
  }

  /** The same images at side×side: decoded anew from the files, or shrunk from the stored ones. Cached per side. */
  async at(side: number, decode: ImageDecoder): Promise<Dataset> {
    const have = this.bySide.get(side);
    if (have) return have;
    const from = this.loaded;
    let data: Dataset;
    if (this.files) data = await readOwnData(this.files, { decode, size: side, seed: 1 });
    else if (side < from.height) data = shrinkDataset(from, side);
    else
      throw new OwnDataError(
        `your images are kept at ${from.height}×${from.height} px with the saved run (the files themselves are not saved): training at ${side}×${side} would only enlarge them; load the files again in the Data panel, or set the image size to ${from.height} or less`,
      );
    // Kept: the images as loaded and the latest side only (each side is a whole copy of the data set).
    for (const s of [...this.bySide.keys()]) if (s !== from.height) this.bySide.delete(s);
    this.bySide.set(side, data);
    return data;
  }
}
