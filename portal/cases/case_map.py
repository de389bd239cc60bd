"""The case map as plain drawing data for an inline SVG, so it works on a closed network: cases' points and
their places' clusters projected with Web Mercator (the projection of every tile server), fitted to the
points' own extent (or the city's bounds when there are none). Tiles are drawn under the points only when a
tile server is configured (CASE_MAP_TILE_URL, a template with {z}, {x} and {y}); by default nothing on the
page comes from outside the portal.
"""
import math
from dataclasses import dataclass, field

TILE_SIZE = 256
MAX_ZOOM = 18
WIDTH, HEIGHT = 800, 520
MIN_SPAN_DEGREES = 0.004  # about 400 m: a single case is not drawn at street-corner zoom
PADDING = 0.18  # of the extent, on each side, so edge points and their places' labels are not cut


def world_pixels(latitude: float, longitude: float, zoom: float) -> tuple[float, float]:
    """Web Mercator: the point's pixel position on the whole world's map at `zoom` (256 px tiles at whole zooms;
    a fractional zoom scales between them)."""
    scale = TILE_SIZE * 2 ** zoom
    latitude = max(min(latitude, 85.05112878), -85.05112878)
    sine = math.sin(math.radians(latitude))
    x = (longitude + 180.0) / 360.0 * scale
    y = (0.5 - math.log((1 + sine) / (1 - sine)) / (4 * math.pi)) * scale
    return x, y


def fit_zoom(bounds: tuple[float, float, float, float], width: int = WIDTH, height: int = HEIGHT) -> float:
    """The zoom (fractional: the drawing is vector) at which (south, west, north, east) just fits in width x
    height pixels, at most MAX_ZOOM."""
    south, west, north, east = bounds
    left, bottom = world_pixels(south, west, 0)
    right, top = world_pixels(north, east, 0)
    span_x, span_y = max(right - left, 1e-12), max(bottom - top, 1e-12)
    return min(math.log2(min(width / span_x, height / span_y)), MAX_ZOOM)


def extent_of(points: list[tuple[float, float]], city: tuple[float, float, float, float]
              ) -> tuple[float, float, float, float]:
    """The points' extent, padded and at least MIN_SPAN_DEGREES across, kept inside the city's bounds; the
    city's bounds when there is no point."""
    if not points:
        return city
    south, west = min(p[0] for p in points), min(p[1] for p in points)
    north, east = max(p[0] for p in points), max(p[1] for p in points)
    lat_pad = max((north - south) * PADDING, (MIN_SPAN_DEGREES - (north - south)) / 2, 0)
    lon_pad = max((east - west) * PADDING, (MIN_SPAN_DEGREES - (east - west)) / 2, 0)
    c_south, c_west, c_north, c_east = city
    return (max(south - lat_pad, c_south), max(west - lon_pad, c_west),
            min(north + lat_pad, c_north), min(east + lon_pad, c_east))


@dataclass(frozen=True)
class Projection:
    """Degrees to the SVG's pixels: the extent centred in width x height at `zoom`."""
    zoom: float
    origin_x: float  # world pixel at the SVG's left edge
    origin_y: float  # world pixel at the SVG's top edge
    width: int = WIDTH
    height: int = HEIGHT

    @classmethod
    def fitted(cls, bounds, width: int = WIDTH, height: int = HEIGHT) -> "Projection":
        zoom = fit_zoom(bounds, width, height)
        south, west, north, east = bounds
        left, bottom = world_pixels(south, west, zoom)
        right, top = world_pixels(north, east, zoom)
        return cls(zoom=zoom, origin_x=(left + right - width) / 2, origin_y=(top + bottom - height) / 2,
                   width=width, height=height)

    def __call__(self, latitude: float, longitude: float) -> tuple[float, float]:
        x, y = world_pixels(latitude, longitude, self.zoom)
        return round(x - self.origin_x, 1), round(y - self.origin_y, 1)

    def contains(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


@dataclass(frozen=True)
class Tile:
    href: str
    x: float
    y: float
    size: float = TILE_SIZE


def tiles_for(projection: Projection, url_template: str) -> list[Tile]:
    """The tiles covering the drawing, from a {z}/{x}/{y} URL template: the whole zoom below the drawing's,
    each tile scaled up by the fraction between them."""
    tile_zoom = max(int(math.floor(projection.zoom)), 0)
    size = TILE_SIZE * 2 ** (projection.zoom - tile_zoom)
    last = 2 ** tile_zoom - 1
    first_column, first_row = int(projection.origin_x // size), int(projection.origin_y // size)
    last_column = int((projection.origin_x + projection.width) // size)
    last_row = int((projection.origin_y + projection.height) // size)
    tiles = []
    for row in range(max(first_row, 0), min(last_row, last) + 1):
        for column in range(max(first_column, 0), min(last_column, last) + 1):
            href = (url_template.replace("{z}", str(tile_zoom)).replace("{x}", str(column))
                    .replace("{y}", str(row)))
            tiles.append(Tile(href=href, x=round(column * size - projection.origin_x, 1),
                              y=round(row * size - projection.origin_y, 1), size=round(size, 2)))
    return tiles


@dataclass(frozen=True)
class MapPoint:
    id: int
    x: float
    y: float
    kind: str  # open | overdue | closed
    label: str  # the link's accessible name


@dataclass(frozen=True)
class MapCluster:
    x: float
    y: float
    label: str
    count: int
    radius: float


@dataclass
class CaseMap:
    width: int
    height: int
    zoom: float
    points: list[MapPoint] = field(default_factory=list)
    clusters: list[MapCluster] = field(default_factory=list)
    tiles: list[Tile] = field(default_factory=list)
    gridlines: list[tuple[float, float, float, float]] = field(default_factory=list)


def _gridlines(projection: Projection) -> list[tuple[float, float, float, float]]:
    """A light square grid every ~100 px, so the drawing reads as a map without any tiles."""
    step = 100
    return ([(x, 0, x, projection.height) for x in range(step, projection.width, step)]
            + [(0, y, projection.width, y) for y in range(step, projection.height, step)])


def build_map(points, clusters, city_bounds, tile_url: str | None = None, *, point_label=None,
              cluster_label=None, closed_statuses=()) -> CaseMap:
    """The drawing for `points` (board.Point) and `clusters` (board rows with figures), inside the city.

    `point_label(point)` and `cluster_label(row)` give the translated texts (the caller holds the locale)."""
    projection = Projection.fitted(extent_of([(p.latitude, p.longitude) for p in points], city_bounds))
    drawn = CaseMap(width=projection.width, height=projection.height, zoom=projection.zoom,
                    gridlines=_gridlines(projection))
    if tile_url:
        drawn.tiles = tiles_for(projection, tile_url)
    largest = max((row.figures.points for row in clusters), default=1)
    for row in clusters:
        latitude, longitude = row.figures.centroid
        x, y = projection(latitude, longitude)
        drawn.clusters.append(MapCluster(x=x, y=y, count=row.figures.points,
                                         label=cluster_label(row) if cluster_label else row.label,
                                         radius=round(14 + 26 * math.sqrt(row.figures.points / largest), 1)))
    for point in points:
        x, y = projection(point.latitude, point.longitude)
        kind = "overdue" if point.overdue else "closed" if point.status in closed_statuses else "open"
        drawn.points.append(MapPoint(id=point.id, x=x, y=y, kind=kind,
                                     label=point_label(point) if point_label else point.reference))
    return drawn
