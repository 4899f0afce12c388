import type { ReactNode } from 'react';

/** A titled card with its "how to read this" line. */
export function Panel({ id, title, howTo, children, className }: { id?: string; title: string; howTo: string; children: ReactNode; className?: string }) {
  return (
    <section className={`panel${className ? ` ${className}` : ''}`} data-testid={id} aria-label={title}>
      <header className="panel-head">
        <h2>{title}</h2>
        <p className="howto">{howTo}</p>
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}
