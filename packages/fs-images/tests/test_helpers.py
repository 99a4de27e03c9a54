"""The Flask-FS helpers (make_thumbnail, resize, optimize…), on file objects, checked on pixels."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

import fs_images
from fs_images import InvalidBBox, InvalidImage


def test_make_thumbnail_keeps_jpeg_and_is_square(img):
    out = fs_images.make_thumbnail(io.BytesIO(img.jpeg()), 100)
    assert out.tell() == 0
    thumb = img.opened(out.getvalue())
    assert thumb.format == "JPEG"  # Flask-FS wrote PNG bytes into .jpg names
    assert thumb.size == (100, 100)
    # crop mode: the centred 300x300 square of the 400x300 image keeps all four colours
    assert img.close_to(thumb.getpixel((5, 5)), img.RED)
    assert img.close_to(thumb.getpixel((94, 5)), img.GREEN)
    assert img.close_to(thumb.getpixel((5, 94)), img.BLUE)
    assert img.close_to(thumb.getpixel((94, 94)), img.YELLOW)


def test_jpeg_quality_is_explicit_and_honoured(img):
    source = img.jpeg(img.noisy(), quality=95)
    low = fs_images.make_thumbnail(io.BytesIO(source), 256, quality=30).getvalue()
    high = fs_images.make_thumbnail(io.BytesIO(source), 256, quality=95).getvalue()
    default = fs_images.make_thumbnail(io.BytesIO(source), 256).getvalue()
    explicit85 = fs_images.make_thumbnail(io.BytesIO(source), 256, quality=85).getvalue()
    assert len(low) < len(default) < len(high)
    assert default == explicit85  # the documented default is 85, not Pillow's silent 75
    pillow75 = io.BytesIO()
    img.opened(default).save(pillow75, "JPEG")
    assert len(default) != len(pillow75.getvalue())


def test_no_upscaling_unless_asked(img):
    small = img.png(img.quadrants((50, 40)))
    assert img.opened(fs_images.make_thumbnail(io.BytesIO(small), 100).getvalue()).size == (40, 40)
    fit = fs_images.make_thumbnail(io.BytesIO(small), 100, mode="fit").getvalue()
    assert img.opened(fit).size == (50, 40)
    up = fs_images.make_thumbnail(io.BytesIO(small), 100, upscale=True).getvalue()
    assert img.opened(up).size == (100, 100)
    assert img.opened(fs_images.resize(io.BytesIO(small), 100).getvalue()).size == (50, 40)


def test_bbox_takes_the_right_region(img):
    source = img.png(img.quadrants((400, 300)))
    # the top-right quadrant is green: x 200..400, y 0..150
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(source), 50, bbox=(210, 10, 390, 140)).getvalue())
    assert thumb.size == (50, 50)
    for xy in [(0, 0), (49, 0), (0, 49), (49, 49), (25, 25)]:
        assert thumb.getpixel(xy)[:3] == img.GREEN
    # a box straddling the bottom edge between blue (left) and yellow (right)
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(source), 40, bbox=(160, 160, 240, 240)).getvalue())
    assert img.close_to(thumb.getpixel((2, 20)), img.BLUE)
    assert img.close_to(thumb.getpixel((37, 20)), img.YELLOW)


def test_non_square_bbox_is_not_distorted(img):
    # A 200x100 box holding a red circle-free layout: left half red, right half blue.
    image = Image.new("RGB", (400, 400), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((100, 100, 199, 199), fill=img.RED)
    ImageDraw.Draw(image).rectangle((200, 100, 299, 199), fill=img.BLUE)
    source = img.png(image)
    fit = img.opened(
        fs_images.make_thumbnail(io.BytesIO(source), 100, bbox=(100, 100, 300, 200), mode="fit").getvalue()
    )
    assert fit.size == (100, 50)  # Flask-FS stretched it to 100x100
    assert fit.getpixel((10, 25))[:3] == img.RED
    assert fit.getpixel((90, 25))[:3] == img.BLUE
    crop = img.opened(fs_images.make_thumbnail(io.BytesIO(source), 100, bbox=(100, 100, 300, 200)).getvalue())
    assert crop.size == (100, 100)  # the centred 100x100 of the box: half red, half blue
    assert crop.getpixel((10, 50))[:3] == img.RED
    assert crop.getpixel((90, 50))[:3] == img.BLUE


@pytest.mark.parametrize("bbox", [(50, 50, 10, 100), (0, 0, 500, 100), (-1, 0, 10, 10), (1, 2, 3), "abcd"])
def test_invalid_bbox_is_refused(img, bbox):
    with pytest.raises(InvalidBBox):
        fs_images.make_thumbnail(io.BytesIO(img.png()), 50, bbox=bbox)


def test_exif_orientation_is_applied(img):
    # Stored sideways (200x100, red at the raw top-left), with Orientation 6: "rotate 90
    # degrees clockwise to display", so it displays 100x200 with red at the top-right.
    raw = Image.new("RGB", (200, 100), (255, 255, 255))
    ImageDraw.Draw(raw).rectangle((0, 0, 39, 39), fill=img.RED)
    source = img.jpeg(raw, exif=img.gps_exif(orientation=6))
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(source), 100, mode="fit").getvalue())
    assert thumb.size == (50, 100)
    assert img.close_to(thumb.getpixel((45, 4)), img.RED)
    assert img.close_to(thumb.getpixel((4, 4)), (255, 255, 255))
    assert not thumb.getexif()  # neither the orientation (now applied) nor the GPS travel


def test_transparency_survives(img):
    source = img.png(
        img.quadrants((200, 200), ((255, 0, 0, 0), (0, 255, 0, 255), (0, 0, 255, 128), (0, 0, 0, 0)))
    )
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(source), 50).getvalue())
    assert thumb.format == "PNG"
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((5, 5))[3] == 0
    assert thumb.getpixel((45, 5)) == (0, 255, 0, 255)
    assert abs(thumb.getpixel((5, 45))[3] - 128) <= 2
    assert thumb.getpixel((45, 45))[3] == 0


def test_pad_mode_pads_with_transparency_or_white(img):
    wide = img.quadrants((200, 100))
    padded_png = img.opened(fs_images.center_thumbnail(io.BytesIO(img.png(wide)), 100).getvalue())
    assert padded_png.size == (100, 100)
    assert padded_png.mode == "RGBA"
    assert padded_png.getpixel((50, 5))[3] == 0  # above the image: transparent
    assert padded_png.getpixel((10, 30))[:3] == img.RED
    padded_jpeg = img.opened(fs_images.center_thumbnail(io.BytesIO(img.jpeg(wide)), 100).getvalue())
    assert padded_jpeg.format == "JPEG"
    assert img.close_to(padded_jpeg.getpixel((50, 5)), (255, 255, 255), 8)


def test_icc_profile_is_kept(img):
    icc = img.srgb_icc()
    for data in (img.jpeg(icc_profile=icc), img.png(icc_profile=icc)):
        thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(data), 64).getvalue())
        assert thumb.info.get("icc_profile") == icc


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours(img):
    cmyk = Image.new("CMYK", (300, 200), (0, 255, 255, 0))  # pure red in CMYK
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(img.jpeg(cmyk)), 64).getvalue())
    assert thumb.format == "JPEG"
    assert thumb.mode == "RGB"
    assert img.close_to(thumb.getpixel((30, 30)), img.RED)


def test_palette_png_with_transparency(img):
    image = Image.new("P", (100, 100), 0)
    image.putpalette([255, 255, 255, 255, 0, 0] + [0] * 762)
    ImageDraw.Draw(image).rectangle((50, 0, 99, 99), fill=1)
    source = img.png(image, transparency=0)
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(source), 40).getvalue())
    assert thumb.mode == "RGBA"  # resampled in RGBA, not with NEAREST on the palette
    assert thumb.getpixel((5, 20))[3] == 0
    assert thumb.getpixel((35, 20)) == (255, 0, 0, 255)


def test_16bit_grey_png_is_scaled_not_clipped(img):
    image = Image.new("I;16", (100, 100), 30000)  # about 46 % grey
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(img.png(image)), 20).getvalue())
    assert thumb.mode == "L"
    assert 110 <= thumb.getpixel((10, 10)) <= 125


def test_animated_gif_keeps_its_frames(img):
    thumb = img.opened(fs_images.make_thumbnail(io.BytesIO(img.animated_gif(frames=4)), 45).getvalue())
    assert thumb.format == "GIF"
    assert thumb.n_frames == 4
    assert thumb.info.get("duration") == 80
    thumb.seek(2)
    frame = thumb.convert("RGBA")
    assert frame.size == (45, 45)
    # crop: the centred 90x90 square (x 15..105); frame 2's bar is at x 40..60 → 11..22 here
    assert frame.getpixel((16, 20))[:3] == img.BLUE
    assert frame.getpixel((40, 20))[3] == 0  # transparency survived


def test_resize_returns_the_same_bytes_when_nothing_to_do(img):
    source = img.jpeg(quality=60)
    assert fs_images.resize(io.BytesIO(source), 1000).getvalue() == source  # no lossy re-encode
    big = fs_images.resize(io.BytesIO(source), 100).getvalue()
    assert img.opened(big).size == (100, 75)
    assert img.opened(big).format == "JPEG"


def test_optimize_never_grows_a_file(img):
    heavy = img.jpeg(img.noisy(), quality=100)
    smaller = fs_images.optimize(io.BytesIO(heavy)).getvalue()
    assert len(smaller) < len(heavy)
    assert img.opened(smaller).size == (640, 480)
    light = img.jpeg(img.noisy(), quality=20)
    assert fs_images.optimize(io.BytesIO(light)).getvalue() == light


@pytest.mark.parametrize("helper", ["resize", "optimize"])
def test_helpers_never_hand_back_the_gps_position(img, helper):
    """resize of an image that fits and optimize of one that would not shrink return the
    file without re-encoding it, but cleaned like everything else (Flask-FS re-encoded,
    which dropped the EXIF): only the orientation survives."""
    source = img.jpeg(img.noisy(), quality=20, exif=img.gps_exif(orientation=6))
    call = {"resize": lambda f: fs_images.resize(f, 1000), "optimize": fs_images.optimize}[helper]
    out = call(io.BytesIO(source)).getvalue()
    assert dict(img.opened(out).getexif()) == {0x0112: 6}
    assert out[out.index(b"\xff\xda") :] == source[source.index(b"\xff\xda") :]  # not re-encoded


def test_helpers_refuse_non_images(img):
    with pytest.raises(InvalidImage):
        fs_images.make_thumbnail(io.BytesIO(b"<html><script>alert(1)</script>"), 10)


def test_png_strategy_fits_the_content():
    """PNG outputs of photographs are deflated with Z_RLE (as small, far faster); text and flat
    graphics keep zlib's default strategy (Z_RLE made them several times larger). Both decode
    to the same pixels."""
    from fs_images.processing import Z_DEFAULT_STRATEGY, Z_RLE, encode, png_strategy

    noise = Image.merge("RGB", [Image.effect_noise((512, 512), 40 + 10 * i) for i in range(3)])
    photo = Image.blend(Image.linear_gradient("L").resize((512, 512)).convert("RGB"), noise, 0.5)
    text = Image.new("RGB", (512, 512), "white")
    draw = ImageDraw.Draw(text)
    for y in range(0, 512, 12):
        draw.text((2, y), "def f(x): return x * 2  # code on a screen", fill=(20, 20, 20))
    assert png_strategy(photo) == Z_RLE
    assert png_strategy(text) == Z_DEFAULT_STRATEGY
    assert png_strategy(photo.resize((64, 64))) == Z_DEFAULT_STRATEGY  # small: not worth a sample
    for image in (photo, text):
        data = encode([image], "PNG")
        with Image.open(io.BytesIO(data)) as back:
            assert back.tobytes() == image.tobytes()
