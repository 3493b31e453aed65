"""The base layer under every map (land, sea, coastlines, country borders) and its scale bar.

The layer is Natural Earth at 1:50m (public domain), clipped to lon 20-95 °E, lat 28-58 °N and
shipped as ``data/naturalearth-50m.geojson`` (``data/README.md`` says what it was made from and
how). It is read once, with json and shapely: no map library is needed at run time. Where a
map's window reaches beyond the layer's box, that part stays the plain map background:
nothing there is known to be land or sea.

Everything here is drawn below the network (z-order under 1), so links, nodes and labels
always stay on top of it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from importlib import resources
from typing import Any, NamedTuple

import numpy as np

#: The base layer's file, in this package's ``data`` folder.
DATA_FILE = "naturalearth-50m.geojson"
#: Outside the base layer's box: neither land nor sea is known there.
UNKNOWN_COLOUR = "#f7f7f4"
SEA_COLOUR = "#dbe8f1"
LAND_COLOUR = "#f4f2ec"
COAST_COLOUR = "#8fb0c6"
BORDER_COLOUR = "#a6a6a6"
#: Draw order of the layer's parts: all under the network's links (z-order 2 and up) and
#: under the graticule (1.5), which then reads over land and sea alike.
SEA_Z, LAND_Z, LINE_Z = 0.1, 0.2, 0.3
#: Artist ids, so that a test (or a caller) can find the parts of the layer on an axes.
SEA_GID, LAND_GID, COAST_GID, BORDER_GID, SCALE_GID = (
    "base-sea", "base-land", "base-coastline", "base-borders", "scale-bar")
#: Kilometres in a degree of latitude (and of longitude at the equator), on a sphere of the
#: Earth's mean radius: a scale bar is good to a few per cent, not a survey.
KM_PER_DEG = 111.195

Box = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


class BaseLayer(NamedTuple):
    """The base layer as read from its file."""

    #: Land, a shapely (Multi)Polygon.
    land: Any
    #: Coastline and border lines, each an (n, 2) array of lon/lat.
    coastline: tuple[np.ndarray, ...]
    borders: tuple[np.ndarray, ...]
    #: The box the layer covers (lon_min, lat_min, lon_max, lat_max).
    bbox: Box
    #: Where the data come from, as the file says.
    source: str


def _lines(geometry: dict[str, Any]) -> tuple[np.ndarray, ...]:
    parts = geometry["coordinates"]
    if geometry["type"] == "LineString":
        parts = [parts]
    return tuple(np.asarray(part, dtype=float) for part in parts)


@functools.cache
def base_layer() -> BaseLayer:
    """The shipped base layer (read once per process)."""
    from shapely.geometry import shape

    text = (resources.files("corridorsim.report") / "data" / DATA_FILE).read_text(
        encoding="utf-8"
    )
    document = json.loads(text)
    parts = {f["properties"]["kind"]: f["geometry"] for f in document["features"]}
    x0, y0, x1, y1 = document["clip_bbox"]
    return BaseLayer(
        land=shape(parts["land"]),
        coastline=_lines(parts["coastline"]),
        borders=_lines(parts["border"]),
        bbox=(float(x0), float(y0), float(x1), float(y1)),
        source=document["source"],
    )


def _land_path(land: Any) -> Any:
    """One compound matplotlib path of ``land``'s polygons: shells anticlockwise and holes
    clockwise, which is what makes the holes (inland seas) holes when it is filled."""
    from matplotlib.path import Path
    from shapely.geometry.polygon import orient

    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in getattr(land, "geoms", [land]):
        polygon = orient(polygon, sign=1.0)
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords, dtype=float)
            ring_codes = np.full(len(xy), Path.LINETO, dtype=np.uint8)
            ring_codes[0], ring_codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return None
    return Path(np.concatenate(vertices), np.concatenate(codes))


def covers(box: Box) -> bool:
    """Whether the base layer reaches into ``box`` at all."""
    x0, y0, x1, y1 = base_layer().bbox
    return box[0] < x1 and box[2] > x0 and box[1] < y1 and box[3] > y0


def draw_base_layer(ax: Any, box: Box) -> None:
    """Sea, land, coastlines and country borders under a map of ``box`` on ``ax`` (the part
    of ``box`` outside the layer's own box is left the plain background)."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import PathPatch, Rectangle
    from shapely import box as shapely_box
    from shapely import clip_by_rect

    ax.set_facecolor(UNKNOWN_COLOUR)
    if not covers(box):
        return
    layer = base_layer()
    lx0, ly0, lx1, ly1 = layer.bbox
    sx0, sy0 = max(box[0], lx0), max(box[1], ly0)
    sx1, sy1 = min(box[2], lx1), min(box[3], ly1)
    ax.add_patch(
        Rectangle((sx0, sy0), sx1 - sx0, sy1 - sy0, facecolor=SEA_COLOUR, edgecolor="none",
                  zorder=SEA_Z, gid=SEA_GID)
    )
    # Only the land in (a margin around) the window: a detail panel fills a few polygons,
    # not the whole region's.
    margin = 0.05 * max(box[2] - box[0], box[3] - box[1])
    window = (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)
    land = clip_by_rect(layer.land, *window)
    path = None if land.is_empty else _land_path(land)
    if path is not None:
        ax.add_patch(
            PathPatch(path, facecolor=LAND_COLOUR, edgecolor="none", zorder=LAND_Z,
                      gid=LAND_GID)
        )
    near = shapely_box(*window)
    # Borders dashed: a network's own links are solid lines, and grey ones where a map draws
    # links without flow.
    for lines, colour, width, style, gid in (
        (layer.borders, BORDER_COLOUR, 0.6, (0, (4, 1.6)), BORDER_GID),
        (layer.coastline, COAST_COLOUR, 0.7, "solid", COAST_GID),
    ):
        shown = [line for line in lines if _touches(line, near)]
        if shown:
            ax.add_collection(
                LineCollection(shown, colors=colour, linewidths=width, linestyles=style,
                               zorder=LINE_Z, gid=gid, capstyle="round", joinstyle="round"),
                autolim=False,
            )


def _touches(line: np.ndarray, window: Any) -> bool:
    x0, y0, x1, y1 = window.bounds
    lx0, ly0 = line.min(axis=0)
    lx1, ly1 = line.max(axis=0)
    return bool(lx0 <= x1 and lx1 >= x0 and ly0 <= y1 and ly1 >= y0)


def nice_km(km: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten (km) not above ``km`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(km))
    return max(m * power for m in (1, 2, 5, 10) if m * power <= km * (1 + 1e-9))


def scale_bar_km(box: Box, share: float = 0.2) -> tuple[float, float]:
    """A round length (km) about ``share`` of the width of a map of ``box``, and its length
    in degrees of longitude at the box's middle latitude (where the map's aspect is true)."""
    mid_lat = (box[1] + box[3]) / 2
    km_per_deg_lon = KM_PER_DEG * math.cos(math.radians(mid_lat))
    km = nice_km(max((box[2] - box[0]) * km_per_deg_lon * share, 1e-3))
    return km, km / km_per_deg_lon


#: The places a scale bar may take, in the order preferred when they are equally empty: the
#: corners, then the middles of the edges.
CORNERS = ("lower left", "lower right", "upper left", "upper right", "lower center",
           "upper center", "center left", "center right")


def draw_scale_bar(ax: Any, box: Box, *, points: Sequence[Any] = ()) -> Any:
    """A scale bar in km in the corner of a map of ``box`` on ``ax`` that covers the fewest
    of ``points`` (lon/lat arrays: what is drawn there), in a white box over the base layer
    and the network; return it. Its length is true at the box's middle latitude, which it
    says: on a lon/lat map the scale of an east-west distance changes with latitude."""
    km, degrees = scale_bar_km(box)
    mid_lat = (box[1] + box[3]) / 2
    hemisphere = "N" if mid_lat >= 0 else "S"
    label = f"{km:,.0f} km at {abs(mid_lat):.0f}°{hemisphere}" if km >= 1 else f"{km:g} km"
    loc = CORNERS[0]
    xy = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in points]) if len(
        points) else np.zeros((0, 2))
    if xy.size:
        ax.apply_aspect()
        renderer = ax.figure.canvas.get_renderer()
        probe = _scale_bar(ax, box, degrees, label, loc)
        extent = probe.get_window_extent(renderer)
        inside = ax.get_window_extent(renderer)
        display = ax.transData.transform(xy)
        w, h = extent.width, extent.height
        gap_x, gap_y = extent.x0 - inside.x0, extent.y0 - inside.y0

        def covered(corner: str) -> int:
            if "left" in corner:
                x0 = inside.x0 + gap_x
            elif "right" in corner:
                x0 = inside.x1 - gap_x - w
            else:
                x0 = (inside.x0 + inside.x1 - w) / 2
            if "lower" in corner:
                y0 = inside.y0 + gap_y
            elif "upper" in corner:
                y0 = inside.y1 - gap_y - h
            else:
                y0 = (inside.y0 + inside.y1 - h) / 2
            within = ((display[:, 0] >= x0) & (display[:, 0] <= x0 + w)
                      & (display[:, 1] >= y0) & (display[:, 1] <= y0 + h))
            return int(within.sum())

        loc = min(CORNERS, key=lambda corner: (covered(corner), CORNERS.index(corner)))
    bar = _scale_bar(ax, box, degrees, label, loc)
    ax.add_artist(bar)
    return bar


def _scale_bar(ax: Any, box: Box, degrees: float, label: str, loc: str) -> Any:
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import (  # type: ignore[import-untyped]
        AnchoredSizeBar,
    )

    bar = AnchoredSizeBar(
        ax.transData,
        degrees,
        label,
        loc,
        pad=0.35,
        borderpad=0.6,
        sep=3,
        color="#222222",
        frameon=True,
        size_vertical=(box[3] - box[1]) * 0.006,
        fontproperties=FontProperties(size=7),
    )
    bar.patch.set_facecolor("white")
    bar.patch.set_edgecolor("#bbbbbb")
    bar.patch.set_alpha(0.85)
    bar.set_zorder(9)
    bar.set_gid(SCALE_GID)
    # Measured before it is kept: the artist must know its axes and figure.
    bar.axes = ax
    bar.set_figure(ax.figure)
    return bar


def obstacles(ax: Any, renderer: Any) -> list[Any]:
    """The display boxes of what labels on ``ax`` must not cover: its scale bar."""
    return [a.get_window_extent(renderer) for a in ax.artists if a.get_gid() == SCALE_GID]


def credit() -> str:
    """The base layer's credit line for a map's footnote."""
    return "Base map: Natural Earth 1:50m (public domain)."
