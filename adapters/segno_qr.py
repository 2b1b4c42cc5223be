"""QR codes by segno, as SVG: a page shows the enrolment's otpauth URI as an image to scan
without rendering anything itself."""

import io

import segno

from application.ports.second_factors import QrCodes


class SegnoQrCodes(QrCodes):
    def svg(self, text: str) -> str:
        buffer = io.BytesIO()
        # Medium error correction: the default, and what authenticator apps read at once.
        segno.make_qr(text, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
        return buffer.getvalue().decode()
