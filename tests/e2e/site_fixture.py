"""One site per test class: a temporary directory, the simulators the site needs, the real
bridge with the site's config, and a pymodbus client - started once in setUpClass, stopped in
tearDownClass (the bridge must exit 0). Subclasses say what differs:

    site()       the config text (may use cls.dir.name and the simulators' links)
    simulators() the simulators to start before the bridge (a dict name -> Simulator; each is
                 also an attribute of the class)
    ready()      a condition the site must reach before the tests run (waited for, never slept)
"""
import tempfile
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import Bridge
from sim_harness import wait_until


class SiteCase(unittest.TestCase):
    ready_timeout = 15
    client_timeout = 3
    ready_log = None  # a bridge log line to wait for first (e.g. "VE.Bus up")

    @classmethod
    def site(cls):
        raise NotImplementedError

    @classmethod
    def simulators(cls):
        return {}

    @classmethod
    def ready(cls):
        return True

    @classmethod
    def setUpClass(cls):
        if cls.__dict__.get("abstract_case"):  # a base with shared tests, not a site itself
            raise unittest.SkipTest("shared checks; run by the subclasses")
        cls.dir = tempfile.TemporaryDirectory(prefix="vxb-site-")
        cls.sims = {}
        try:
            cls.sims = cls.simulators()
            for name, sim in cls.sims.items():
                setattr(cls, name, sim)
            cls.bridge = Bridge(cls.site())
            if cls.ready_log:
                assert cls.bridge.wait_for(cls.ready_log, cls.ready_timeout), cls.bridge.output
            cls.client = ModbusTcpClient("127.0.0.1", port=cls.bridge.port,
                                         timeout=cls.client_timeout)
            assert cls.client.connect()
            assert wait_until(cls.ready, cls.ready_timeout), cls.bridge.output
        except BaseException:
            cls._stop_all()
            raise

    @classmethod
    def _stop_all(cls):
        status = None
        if getattr(cls, "client", None):
            cls.client.close()
        if getattr(cls, "bridge", None):
            status = cls.bridge.stop()
        for sim in cls.sims.values():
            sim.stop()
        cls.dir.cleanup()
        return status

    @classmethod
    def tearDownClass(cls):
        assert cls._stop_all() == 0, "SIGTERM must stop the bridge with exit 0"
