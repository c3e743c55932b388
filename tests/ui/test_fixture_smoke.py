from tests.ui.conftest import Chair


def test_chair_walks_to_discharged(chair: Chair, qtbot) -> None:  # type: ignore[no-untyped-def]
    chair.to("discharged")
    view = chair.controller().reload()
    assert view is not None and view.detail.state == "discharged"
    assert view.progress is not None and str(view.progress.delivered_mg) == "40.0"
