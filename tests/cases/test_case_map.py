"""The case map's projection: Web Mercator as tile servers cut it, fitted to the points, north up."""
import math
from types import SimpleNamespace

from portal.cases.case_map import (
    HEIGHT,
    TILE_SIZE,
    WIDTH,
    Projection,
    build_map,
    extent_of,
    fit_zoom,
    tiles_for,
    world_pixels,
)

YICHANG = (29.9, 110.25, 31.6, 112.1)


def _osm_tile(latitude, longitude, zoom):
    """The slippy-map tile numbers as the OpenStreetMap wiki computes them (an independent formula)."""
    n = 2 ** zoom
    lat = math.radians(latitude)
    return int((longitude + 180) / 360 * n), int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)


def test_the_world_centre_is_the_middle_of_the_first_tile():
    assert world_pixels(0, 0, 0) == (128.0, 128.0)


def test_a_point_falls_in_the_tile_a_tile_server_numbers():
    for zoom in (3, 12, 16):
        x, y = world_pixels(30.6957, 111.2839, zoom)
        assert (int(x // TILE_SIZE), int(y // TILE_SIZE)) == _osm_tile(30.6957, 111.2839, zoom)


def test_the_fitted_zoom_makes_the_extent_just_fit_the_drawing():
    bounds = (30.69, 111.27, 30.71, 111.30)
    zoom = fit_zoom(bounds)
    left, bottom = world_pixels(bounds[0], bounds[1], zoom)
    right, top = world_pixels(bounds[2], bounds[3], zoom)
    width, height = right - left, bottom - top
    assert width <= WIDTH + 0.01 and height <= HEIGHT + 0.01
    assert abs(width - WIDTH) < 0.01 or abs(height - HEIGHT) < 0.01  # one side fills the drawing


def test_the_fitted_zoom_never_passes_the_deepest_tiles():
    assert fit_zoom((30.7, 111.28, 30.700001, 111.280001)) == 18


def test_the_projection_puts_north_up_east_right_and_the_extent_inside_the_drawing():
    bounds = (30.69, 111.27, 30.71, 111.30)
    project = Projection.fitted(bounds)
    south_west, north_east = project(30.69, 111.27), project(30.71, 111.30)
    assert north_east[0] > south_west[0] and north_east[1] < south_west[1]
    assert project.contains(*south_west) and project.contains(*north_east)
    centre = project(30.70, 111.285)
    assert abs(centre[0] - WIDTH / 2) < 2 and abs(centre[1] - HEIGHT / 2) < 2


def test_the_extent_is_the_points_padded_and_kept_inside_the_city():
    south, west, north, east = extent_of([(30.70, 111.28), (30.71, 111.29)], YICHANG)
    assert south < 30.70 and north > 30.71 and west < 111.28 and east > 111.29
    assert extent_of([], YICHANG) == YICHANG
    assert extent_of([(29.9, 110.25)], YICHANG)[:2] == (29.9, 110.25)  # a corner point: not padded outside


def test_a_single_point_is_not_drawn_at_the_deepest_zoom():
    south, west, north, east = extent_of([(30.70, 111.28)], YICHANG)
    assert north - south >= 0.004 - 1e-9 and east - west >= 0.004 - 1e-9
    assert fit_zoom((south, west, north, east)) < 18


def test_the_tiles_cover_the_drawing_from_the_url_template():
    project = Projection.fitted((30.69, 111.27, 30.71, 111.30))
    tiles = tiles_for(project, "https://tiles.example.org/{z}/{x}/{y}.png?style=plain")
    size = tiles[0].size
    assert TILE_SIZE <= size < 2 * TILE_SIZE  # the whole zoom below, scaled up by the fraction
    assert min(t.x for t in tiles) <= 0 and max(t.x for t in tiles) + size >= WIDTH
    assert min(t.y for t in tiles) <= 0 and max(t.y for t in tiles) + size >= HEIGHT
    zoom = math.floor(project.zoom)
    x, y = _osm_tile(30.70, 111.285, zoom)
    assert f"https://tiles.example.org/{zoom}/{x}/{y}.png?style=plain" in {t.href for t in tiles}
    centre = next(t for t in tiles if t.href.endswith(f"/{zoom}/{x}/{y}.png?style=plain"))
    point_x, point_y = project(30.70, 111.285)
    assert centre.x <= point_x < centre.x + size and centre.y <= point_y < centre.y + size


def test_the_map_draws_no_tile_without_a_tile_server():
    point = SimpleNamespace(id=1, reference="AJ-1", latitude=30.70, longitude=111.28, status="dispatched",
                            overdue=True)
    drawing = build_map([point], [], YICHANG, None)
    assert drawing.tiles == [] and drawing.gridlines
    assert (drawing.points[0].kind, drawing.points[0].label) == ("overdue", "AJ-1")
