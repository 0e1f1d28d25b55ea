"""tar lister: lists the entries of .tar.gz archives the way Python's tarfile reads them.

Same output as main.go: for each archive named on the command line

    archive <index>
    entry <type> <size> <sha256 of the body> <name as hex>
    end ok | end error <message>

The exit status is 1 when any archive could not be read.
"""
import hashlib
import sys
import tarfile


def entry_type(member):
    if member.isreg():
        return "f"
    if member.isdir():
        return "d"
    if member.issym():
        return "l"
    if member.islnk():
        return "h"
    if member.ischr():
        return "c"
    if member.isblk():
        return "b"
    if member.isfifo():
        return "p"
    return "?" + member.type.hex()


def list_archive(path, out):
    # errorlevel 2: every problem is an error, nothing is only printed as a warning.
    with tarfile.open(path, "r:gz", errorlevel=2) as archive:
        for member in archive:
            digest = hashlib.sha256()
            size = 0
            if member.isreg():
                body = archive.extractfile(member)
                while True:
                    chunk = body.read(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    digest.update(chunk)
            name = member.name.encode("utf-8", "surrogateescape").hex()
            out.write(f"entry {entry_type(member)} {size} {digest.hexdigest()} {name}\n")


def main():
    out = sys.stdout
    failed = False
    for index, path in enumerate(sys.argv[1:]):
        out.write(f"archive {index}\n")
        try:
            list_archive(path, out)
            out.write("end ok\n")
        except Exception as error:  # noqa: BLE001 -- any failure to read is the answer
            failed = True
            message = f"{type(error).__name__}: {error}".replace("\n", " ")
            out.write(f"end error {message}\n")
    out.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
