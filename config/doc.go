// Package config loads, expands and validates risktop's YAML config file.
package config
