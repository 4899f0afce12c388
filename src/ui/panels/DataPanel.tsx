import { useEffect, useRef } from 'react';
import { useRun } from '../../store/run';
import type { PreviewImage } from '../../worker/protocol';
import { STAGGER, useTimelineView } from './common';
import { OwnData } from './OwnData';
import { Panel } from './Panel';

function ImageCanvas({ img, size, title }: { img: PreviewImage; size: number; title?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = img.width;
    c.height = img.height;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
  }, [img]);
  return <canvas ref={ref} className="pixels" style={{ width: size, height: size }} title={title} />;
}

/** A few training images, and the two augmented views of the first one at this step. */
export function DataPanel() {
  const live = useRun((s) => s.snapshot);
  // The scrubbed step's views when the timeline is moved back, else the newest.
  const snap = useTimelineView(STAGGER.data).viewed ?? live;
  const ds = useRun((s) => s.dataset);
  const noRun = useRun((s) => !s.hasRun && !s.building);
  return (
    <Panel
      id="panel-data"
      title="Data and views"
      howTo="Top: images from the batch this step trained on (no labels are used). Bottom: the two random augmentations of the first one; the network learns to map both to the same point."
    >
      {!snap ? (
        <div className="chart-empty">{noRun ? 'No run: nothing to show until one is built.' : 'Loading data…'}</div>
      ) : (
        <div className="data-preview" data-testid="dataset-preview" data-step={snap.step}>
          <div className="samples">
            {snap.samples.map((img, i) => (
              <figure key={i} className={i === 0 ? 'sample sample-first' : 'sample'}>
                <ImageCanvas img={img} size={52} title={img.label} />
                <figcaption>{img.label}</figcaption>
              </figure>
            ))}
          </div>
          <div className="views">
            <figure className="view">
              <ImageCanvas img={snap.samples[0]} size={84} />
              <figcaption>original</figcaption>
            </figure>
            <span className="arrow">→</span>
            <figure className="view">
              <ImageCanvas img={snap.views[0]} size={84} />
              <figcaption>view 1</figcaption>
            </figure>
            <figure className="view">
              <ImageCanvas img={snap.views[1]} size={84} />
              <figcaption>view 2</figcaption>
            </figure>
          </div>
          {ds && (
            <p className="small muted">
              {ds.name}: {ds.trainCount} train / {ds.testCount} held-out images, {ds.classNames.length} classes, seen at {ds.imageSize}×{ds.imageSize}. {snap.step > 0 ? `Views step ${snap.step} trained on.` : 'Views of the first step, not trained yet.'}
            </p>
          )}
        </div>
      )}
      <OwnData />
    </Panel>
  );
}
