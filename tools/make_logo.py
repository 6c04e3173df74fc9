"""Draw the book's logo and favicon (a small 3-4-2 network) into ``book/_static/``.

    python tools/make_logo.py

PNG (the PDF needs raster or PDF images; browsers take PNG favicons). Colours from the
book's colour-blind-safe palette; a transparent background works in light and dark
themes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

OUT = Path(__file__).resolve().parents[1] / "book" / "_static"
LAYERS = [3, 4, 2]
COLOURS = ["#0072B2", "#E69F00", "#009E73"]  # Okabe-Ito


def draw(path: Path, size: float, dpi: int, edges: bool = True) -> None:
    fig = plt.figure(figsize=(size, size), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(-1.1, 3.1)
    ax.axis("off")
    pos = [[(x, (3 - n) / 2 + i) for i in range(n)] for x, n in enumerate(LAYERS)]
    if edges:
        for a, b in zip(pos, pos[1:]):
            for p in a:
                for q in b:
                    ax.plot(
                        [p[0], q[0]],
                        [p[1], q[1]],
                        color="#7f7f7f",
                        lw=size * 0.6,
                        zorder=1,
                    )
    for layer, colour in zip(pos, COLOURS):
        for x, y in layer:
            ax.scatter(
                [x],
                [y],
                s=(size * 11) ** 2,
                color=colour,
                edgecolor="white",
                linewidth=size * 0.4,
                zorder=2,
            )
    fig.savefig(path, transparent=True)
    plt.close(fig)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    draw(OUT / "logo.png", 2.0, 150)
    draw(OUT / "favicon.png", 0.64, 50, edges=True)
    print("wrote", OUT / "logo.png", OUT / "favicon.png")
