def test_event_page_renders(client, event, free_type):
    """The event page shows the event and how many places are left."""
    response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    assert b"Test conference" in response.content
    assert b"250 of 250 places left" in response.content
