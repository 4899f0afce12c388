// "Your own data": choose files (images in class folders, a zip of them, or CIFAR-10 .bin
// batches), a whole folder, or drop them here (dropped folders are walked). The worker
// reads them; a refusal (an empty folder included) says what was expected and leaves the
// current run as it was.
import { useRef, useState } from 'react';
import { IMAGE_LIMITS } from '../../engine/data/ownData';
import { actions } from '../../store/controller';
import { dropItems, filesOfDrop, pickedFromList } from '../../store/pickedFiles';
import { useRun } from '../../store/run';
import { useSettings } from '../../store/settings';

export function OwnData() {
  const info = useRun((s) => s.ownData);
  const loading = useRun((s) => s.loadingData);
  // A run on own images takes a batch over their count (a few images train on all of them a step): said, not silent.
  const batch = useSettings((s) => (s.applied.data.name === 'own' ? s.applied.batchSize : undefined));
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  // An empty choice is sent on too: the controller says the folder is empty.
  const take = (list: FileList | null) => {
    if (list) void actions.loadOwnData(pickedFromList(list));
  };
  return (
    <div
      className={`own-data${over ? ' own-data-over' : ''}`}
      data-testid="own-data-zone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (loading) return;
        // The items are read now: they are gone once this handler returns.
        void actions.loadOwnData(filesOfDrop(dropItems(e.dataTransfer)));
      }}
    >
      <strong>Your own data</strong>
      <p className="small muted">
        A folder with one sub-folder per class (labels are used by the kNN monitor only), a zip of one, or CIFAR-10 binary batches (data_batch_*.bin, test_batch.bin). Images ({IMAGE_LIMITS.minSide}–{IMAGE_LIMITS.maxSide} px a side, at
        most {IMAGE_LIMITS.maxAspect}:1) are resized to the model’s input; a fifth of each class is held out (or, with train and test folders above the class folders, the test folder). Drop files or a folder here, or:
      </p>
      <div className="own-data-buttons">
        <button className="btn btn-ghost btn-small" disabled={loading} onClick={() => files.current?.click()}>
          Choose files or a zip…
        </button>
        <button className="btn btn-ghost btn-small" disabled={loading} onClick={() => folder.current?.click()}>
          Choose a folder…
        </button>
      </div>
      <input ref={files} type="file" multiple hidden accept=".zip,.bin,image/*" data-testid="own-data" aria-label="Own data files" onChange={(e) => (take(e.target.files), (e.target.value = ''))} />
      <input
        ref={folder}
        type="file"
        hidden
        data-testid="own-data-folder"
        aria-label="Own data folder"
        {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
        onChange={(e) => (take(e.target.files), (e.target.value = ''))}
      />
      {loading && <p className="small" role="status">Reading and resizing the images…</p>}
      {info && !loading && (
        <p className="small" data-testid="own-data-info">
          Loaded {info.source}: {info.classNames.length} classes ({info.classNames.slice(0, 6).join(', ')}
          {info.classNames.length > 6 ? ', …' : ''}), {info.trainCount} training / {info.testCount} held-out images at {info.size}×{info.size}
          {info.skipped.length ? `; ${info.skipped.length} file(s) could not be decoded and were left out (e.g. ${info.skipped[0]})` : ''}.
        </p>
      )}
      {info && !loading && batch !== undefined && batch > info.trainCount && (
        <p className="small own-data-warn" role="note" data-testid="own-data-batch">
          Each step trains on all {info.trainCount} training images: the batch of {batch} is more than there are. Set the batch to {info.trainCount} or less for a run that is what its settings say.
        </p>
      )}
      {info && !loading && info.testOnly.length > 0 && (
        <p className="small own-data-warn" role="note" data-testid="own-data-test-only">
          {classList(info.testOnly)} {info.testOnly.length === 1 ? 'has' : 'have'} held-out images but no training image, so the kNN monitor can never score {info.testOnly.length === 1 ? 'it' : 'them'} right: its accuracy is capped
          below 100 %. Check that the class folders under train and test are spelled alike.
        </p>
      )}
      {info && !loading && info.trainOnly.length > 0 && (
        <p className="small muted" role="note" data-testid="own-data-train-only">
          {classList(info.trainOnly)} {info.trainOnly.length === 1 ? 'has' : 'have'} training images but none held out: the kNN monitor does not score {info.trainOnly.length === 1 ? 'it' : 'them'}.
        </p>
      )}
    </div>
  );
}

/** 'Class "cat"' or 'Classes "cat", "dog" and 3 more'. */
function classList(names: string[]): string {
  const shown = names.slice(0, 3).map((n) => `“${n}”`);
  const more = names.length - shown.length;
  if (names.length === 1) return `Class ${shown[0]}`;
  return `Classes ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
