"""Operations: backups that restore, and checks of a data folder.

Above every domain: it reads the whole database and asks governance which keys the data
needs. No domain imports it.
"""
