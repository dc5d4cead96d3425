"""A drag source for the window tests: a small GTK window offering one file as text/uri-list.

Run with Debian's /usr/bin/python3 (it has the GTK bindings). The test then presses the
mouse on this window and releases it over Cardfile's, as a person dragging a file from a
file manager would: a real XDND drop.

    drag_source.py FILE X Y
"""

import pathlib
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

path, x, y = pathlib.Path(sys.argv[1]).resolve(), int(sys.argv[2]), int(sys.argv[3])

window = Gtk.Window(title="drag source")
window.set_default_size(160, 80)
window.move(x, y)
box = Gtk.EventBox()
box.add(Gtk.Label(label=path.name))
window.add(box)

targets = Gtk.TargetList.new([])
targets.add_uri_targets(0)
box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
box.drag_source_set_target_list(targets)


def give(_widget, _context, data, _info, _time):
    data.set_uris([path.as_uri()])


box.connect("drag-data-get", give)
box.connect("drag-end", lambda *_: Gtk.main_quit())
window.connect("destroy", Gtk.main_quit)
window.show_all()
print("ready", flush=True)
Gtk.main()
