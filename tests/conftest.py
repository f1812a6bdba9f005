import pytest
from cryptography.fernet import Fernet

from roundrobin.db import Database
from roundrobin.vault import Vault


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "test.db")
    yield database
    await database.close()


@pytest.fixture
def vault():
    return Vault(Fernet.generate_key().decode())
