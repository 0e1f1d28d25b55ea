// tar-lister: lists the entries of .tar.gz archives the way Go's archive/tar reads them (Palette reads
// packs with it). Standard library only. For each archive named on the command line it prints
//
//	archive <index>
//	entry <type> <size> <sha256 of the body> <name as hex>
//	end ok | end error <message>
//
// type is f (regular file), d (directory), l (symlink), h (hard link), c, b, p (devices, FIFO) or
// ?<typeflag as hex>. PAX global headers, which archive/tar hands out as entries of their own, are
// skipped: they describe no file. The exit status is 1 when any archive could not be read.
//
// `tar-lister create <format> <out.tar.gz> <root> <top>` writes the folder root/top as an archive with
// archive/tar's writer instead (format: default, pax, gnu, gnu-times or ustar), as a Go program would
// upload one.
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func entryType(flag byte) string {
	switch flag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont:
		return "f"
	case tar.TypeDir:
		return "d"
	case tar.TypeSymlink:
		return "l"
	case tar.TypeLink:
		return "h"
	case tar.TypeChar:
		return "c"
	case tar.TypeBlock:
		return "b"
	case tar.TypeFifo:
		return "p"
	}
	return fmt.Sprintf("?%02x", flag)
}

func list(path string, out *bufio.Writer) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err != nil {
		return err
	}
	reader := tar.NewReader(gz)
	for {
		header, err := reader.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if header.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		hash := sha256.New()
		size, err := io.Copy(hash, reader)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "entry %s %d %x %s\n", entryType(header.Typeflag), size, hash.Sum(nil), hex.EncodeToString([]byte(header.Name)))
	}
}

func create(format, output, root, top string) error {
	file, err := os.Create(output)
	if err != nil {
		return err
	}
	defer file.Close()
	gz := gzip.NewWriter(file)
	writer := tar.NewWriter(gz)
	err = filepath.Walk(filepath.Join(root, top), func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		header, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		name, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		header.Name = filepath.ToSlash(name)
		if info.IsDir() {
			header.Name += "/"
		}
		switch format {
		case "pax":
			header.Format = tar.FormatPAX
		case "gnu":
			header.Format = tar.FormatGNU
			// GNU headers keep these where ustar has its prefix field, and Python reads them as one;
			// "gnu-times" keeps them (an archive the registry must refuse).
			header.AccessTime = time.Time{}
			header.ChangeTime = time.Time{}
		case "gnu-times":
			header.Format = tar.FormatGNU
		case "ustar":
			header.Format = tar.FormatUSTAR
			// ustar has no field for these; FileInfoHeader fills them in.
			header.AccessTime = time.Time{}
			header.ChangeTime = time.Time{}
		}
		if err := writer.WriteHeader(header); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		body, err := os.Open(path)
		if err != nil {
			return err
		}
		defer body.Close()
		_, err = io.Copy(writer, body)
		return err
	})
	if err != nil {
		return err
	}
	if err := writer.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func main() {
	if len(os.Args) == 6 && os.Args[1] == "create" {
		if err := create(os.Args[2], os.Args[3], os.Args[4], os.Args[5]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	failed := false
	for index, path := range os.Args[1:] {
		fmt.Fprintf(out, "archive %d\n", index)
		if err := list(path, out); err != nil {
			failed = true
			fmt.Fprintf(out, "end error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Fprintln(out, "end ok")
		}
	}
	out.Flush()
	if failed {
		os.Exit(1)
	}
}
